"""An Edit-R1 reward-server client in the standard library only, as flow_grpo/rewards.py talks: a pickled
{"images", "ref_images", "prompts", "metadatas"} posted to {url}/mode/{mode}, retried on HTTP 500 only; any
other status is not retried (the real client then fails to unpickle the answer).

usage: edit_r1_client.py URL MODE REQUEST.json
REQUEST.json: {"images": [jpeg path], "ref_images": [jpeg path], "prompts": [str], "protocol": int,
               "retries": int, "attack": null | "reduce" | "global", "marker": path}
prints one JSON line: {"attempts", "status", "scores", "body"}
"""
import json
import os
import pickle
import sys
import urllib.error
import urllib.request


class Attack:
    """Unpickling this calls os.system (REDUCE on a global): what a server must never do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch " + self.marker,))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    url, mode, request_file = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    with open(request_file) as f:
        req = json.load(f)
    data = {
        "images": [read(p) for p in req["images"]],
        "ref_images": [read(p) for p in req["ref_images"]],
        "prompts": req["prompts"],
        "metadatas": [{"requirement": ""} for _ in req["prompts"]],
    }
    if req.get("attack") == "reduce":
        data["metadatas"] = [Attack(req["marker"])]
    elif req.get("attack") == "global":
        data["metadatas"] = [os.system]
    body = pickle.dumps(data, protocol=req.get("protocol", pickle.DEFAULT_PROTOCOL))
    out = {"attempts": 0, "status": None, "scores": None, "body": None}
    for _ in range(req.get("retries", 3)):
        out["attempts"] += 1
        request = urllib.request.Request(f"{url}/mode/{mode}", data=body, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                out["status"] = r.status
                out["scores"] = pickle.loads(r.read())["scores"]
                break
        except urllib.error.HTTPError as e:
            out["status"], out["body"] = e.code, e.read().decode(errors="replace")
            if e.code != 500:
                break
        except (urllib.error.URLError, OSError) as e:
            out["status"], out["body"] = None, f"connection: {e}"
            break
    print(json.dumps(out))


main()
