import os, sys, time
marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "failed_once")
if not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit("failing once")
# With a gate name, the fixed attempt waits for that file (as gate.py does): a deferrable operator
# then sees the repair still running and defers, however fast the task itself would be.
if len(sys.argv) > 1:
    gate = os.path.join(os.path.dirname(os.path.abspath(__file__)), sys.argv[1])
    deadline = time.time() + 120
    while not os.path.exists(gate):
        if time.time() > deadline:
            sys.exit(f"gate {gate} never opened")
        time.sleep(0.1)
print("fixed")
