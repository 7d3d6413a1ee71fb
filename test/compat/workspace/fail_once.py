import os, sys
marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "failed_once")
if not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit("failing once")
print("fixed")
