import os, sys, time
gate = os.path.join(os.path.dirname(os.path.abspath(__file__)), sys.argv[1])
deadline = time.time() + 120
while not os.path.exists(gate):
    if time.time() > deadline:
        sys.exit(f"gate {gate} never opened")
    time.sleep(0.1)
print("released", sys.argv[1])
