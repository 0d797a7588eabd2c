"""A Flow-Factory remote-reward client in the standard library only, as rewards/my_reward_remote.py talks:
GET {url}/health, then POST {url}/compute with {"prompt", "image", "condition_images"} as base64 PNG, retried
up to `retries` times on an HTTP or connection error; a truthy "error" field is a failed request.

usage: flow_factory_client.py URL REQUEST.json [RETRIES]
REQUEST.json: {"prompt": [str], "image": [png path], "reference": [png path]}
prints one JSON line: {"health", "attempts", "status", "rewards", "error", "raw"}
"""
import base64
import json
import sys
import urllib.error
import urllib.request


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def main():
    url, request_file = sys.argv[1].rstrip("/"), sys.argv[2]
    retries = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with open(request_file) as f:
        req = json.load(f)
    try:
        with urllib.request.urlopen(url + "/health", timeout=5) as r:
            health = r.status == 200
    except (urllib.error.URLError, OSError):
        health = False
    payload = {
        "prompt": req["prompt"],
        "image": [b64(p) for p in req["image"]],
        "video": None,
        "condition_images": [[b64(p)] for p in req["reference"]] if req.get("reference") else None,
        "condition_videos": None,
        "kwargs": None,
    }
    body = json.dumps(payload).encode()
    out = {"health": health, "attempts": 0, "status": None, "rewards": None, "error": None, "raw": None}
    for _ in range(retries):
        out["attempts"] += 1
        request = urllib.request.Request(url + "/compute", data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                out["status"], raw = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            out["status"], raw = e.code, e.read().decode()
            out["raw"] = raw
            out["error"] = json.loads(raw).get("error") if raw.startswith("{") else raw
            continue
        except (urllib.error.URLError, OSError) as e:
            out["error"] = f"connection: {e}"
            continue
        out["raw"] = raw
        data = json.loads(raw)
        if data.get("error"):
            out["error"] = data["error"]
            break
        out["rewards"], out["error"] = data["rewards"], None
        break
    print(json.dumps(out))


main()
