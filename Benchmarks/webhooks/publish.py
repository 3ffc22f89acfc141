#!/usr/bin/env python3
"""Publisher for the webhook benchmark.

  publish.py burst  --broker HOST:PORT --queue /queue/x --count N [--vhost /] [--login guest --passcode guest]
  publish.py paced  --broker HOST:PORT --queue /queue/x --rate R --seconds S     (header sent-at: ns since 1970)
  publish.py direct --url http://127.0.0.1:P/hook --rate R --seconds S            (the same messages POSTed straight to the receiver)
"""
import argparse, http.client, json, time, urllib.parse

import stomp

BODY = json.dumps({"order": "42", "status": "paid", "pad": "x" * 200})


def connect(args):
    host, port = args.broker.rsplit(":", 1)
    conn = stomp.Connection12([(host, int(port))], vhost=args.vhost, heartbeats=(0, 0))
    conn.connect(args.login, args.passcode, wait=True)
    return conn


def burst(args):
    conn = connect(args)
    for i in range(args.count):
        conn.send(args.queue, BODY, headers={"seq": str(i), "content-type": "application/json", "persistent": "true"})
    # A receipt on the last one: everything before it is in the broker.
    receipt = "done"
    done = []

    class Listener(stomp.ConnectionListener):
        def on_receipt(self, frame):
            done.append(frame)

    conn.set_listener("r", Listener())
    conn.send(args.queue, BODY, headers={"seq": str(args.count), "content-type": "application/json", "receipt": receipt})
    deadline = time.time() + 60
    while not done and time.time() < deadline:
        time.sleep(0.01)
    conn.disconnect()


def paced(send, rate, seconds):
    interval = 1.0 / rate
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        target = start + i * interval
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        send(i)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["burst", "paced", "direct"])
    parser.add_argument("--broker")
    parser.add_argument("--queue")
    parser.add_argument("--vhost", default="/")
    parser.add_argument("--login", default="guest")
    parser.add_argument("--passcode", default="guest")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.mode == "burst":
        burst(args)
    elif args.mode == "paced":
        conn = connect(args)
        paced(lambda i: conn.send(args.queue, BODY, headers={"sent-at": str(time.time_ns()), "content-type": "application/json"}), args.rate, args.seconds)
        time.sleep(0.5)
        conn.disconnect()
    else:
        url = urllib.parse.urlparse(args.url)
        http_conn = http.client.HTTPConnection(url.hostname, url.port)

        def post(i):
            http_conn.request("POST", url.path, BODY, {"content-type": "application/json", "x-stomp-header-sent-at": str(time.time_ns())})
            http_conn.getresponse().read()

        paced(post, args.rate, args.seconds)


if __name__ == "__main__":
    main()
