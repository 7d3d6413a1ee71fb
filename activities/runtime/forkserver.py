"""The worker's Python fork server: Python task attempts start as forks of a warm interpreter.

Usage: forkserver.py WORKER_PID SOCKET_PATH

In the manner of multiprocessing's forkserver: this process starts once per worker (and Python
environment), imports the task runtime (djobs_run, dbutils) and the modules named in
DJOBS_PYTHON_PRELOAD (comma-separated, e.g. "pandas,numpy"), and then only forks. It never runs
task code itself and never sees an attempt's environment or arguments, so each attempt starts from
the same clean state: a module one attempt imports or a global it sets is not in the next.

Each attempt is a Python task run in the fork ({"argv"}), or a command the fork executes
({"exec"}): every task type starts from this warm parent, not from a fresh supervisor interpreter.

A supervisor may also start its attempt's processes ahead of it ({"ahead"}, supervisor.fork_ahead):
a sandboxed attempt's init, with the base of the attempt's view built; a Node.js task host that
loads the SQL runner or dbutils, then waits for its attempt (node/task-host.cjs). The attempt
then waits for neither.

stdin, JSON lines from the worker: {"token"} (and {"ahead"}) forks a supervisor.
stdout, JSON lines to the worker: {"ready": true, "preloaded": [...], "preloadErrors": {...}} once
warm; {"token", "pid"} once an attempt's supervisor is forked; {"token", "exitCode", "signal"} when
that supervisor has exited.

The worker asks for each attempt's supervisor ahead of the attempt (a spare, forked and connected
while the previous attempt runs), so that an attempt's start is only its spec reaching the spare.

Each attempt is two forks, the same process tree a fresh attempt has:
- the supervisor (supervisor.py's begin/fork_main/supervise): its own session, a child subreaper
  with a parent-death signal; it connects to the worker's SOCKET_PATH three times (report,
  stdout, stderr; each first sends "TOKEN NAME\\n") and reads the attempt's spec from the report
  connection: {"argv", "cwd", "env", "cgroup", "graceMs", "sandbox"}.
- the task's main process: in the attempt's cgroup, stdin /dev/null, stdout and stderr the two
  connections, the attempt's cwd, environment and sys.argv, reseeded random generators, and the
  task run by djobs_run as in a fresh interpreter, which then exits as Python does (atexit, the
  exit code of SystemExit or 1 after a traceback).

The fork server dies with the worker (PR_SET_PDEATHSIG SIGKILL); its attempts' supervisors then
kill their trees. When the fork server alone dies, running attempts go on, their supervisors
watching the worker itself (supervisor.py), and the worker starts a new fork server or falls back
to fresh interpreters.
"""

import importlib
import json
import atexit
import gc
import io
import os
import select
import signal
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
import supervisor  # noqa: E402 - beside this file, on sys.path[0]

sys.path.remove(HERE)  # tasks see the sys.path a fresh `python djobs_run.py` has
sys.path.insert(0, os.path.join(HERE, "python"))
import djobs_run  # noqa: E402 - puts dbutils in builtins, as in a fresh interpreter
import dbutils as dbutils_module  # noqa: E402
import pkgutil  # noqa: E402,F401 - runpy.run_path imports it on each first use: 2-40 ms an attempt

supervisor.sandbox_module()  # the sandbox's side (sandbox.py), imported once: every fork has it

TASK_SYS_PATH = list(sys.path)
REQUESTS_FD, EVENTS_FD = 0, 1


class StartTrace:
    """Moments of one attempt for the worker's start trace (activities/attempt-trace.ts): kept in
    memory (time.monotonic_ns, the worker's clock) and appended to the file named by the attempt's
    DJOBS_START_TRACE once, at the end, so that tracing adds no I/O on the way. Without that
    variable nothing is written."""

    def __init__(self):
        self.moments = []
        self.file = None

    def mark(self, moment, ns=None):
        self.moments.append((moment, time.monotonic_ns() if ns is None else ns))

    def write(self):
        if self.file and self.moments:
            lines = "".join(json.dumps({"moment": m, "ns": str(ns)}) + "\n" for m, ns in self.moments)
            fd = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, lines.encode())
            finally:
                os.close(fd)
        self.moments = []


TRACE = StartTrace()  # filled in a forked attempt only: the warm parent's stays empty


def send(message):
    os.write(EVENTS_FD, (json.dumps(message) + "\n").encode())


def preload():
    loaded, errors = [], {}
    for name in filter(None, (n.strip() for n in os.environ.get("DJOBS_PYTHON_PRELOAD", "").split(","))):
        try:
            importlib.import_module(name)
            loaded.append(name)
        except BaseException as err:  # noqa: B036 - a bad preload must not stop the server
            errors[name] = "%s: %s" % (type(err).__name__, err)
    return loaded, errors


def serve(worker_pid, wakeup_r):
    """Fork one supervisor per request; returns only in a forked supervisor, with its token."""
    buffered = b""
    children = {}
    while True:
        ready = select_readable([REQUESTS_FD, wakeup_r])
        if wakeup_r in ready:
            try:
                os.read(wakeup_r, 512)
            except BlockingIOError:
                pass
            reap(children)
        if REQUESTS_FD not in ready:
            continue
        chunk = os.read(REQUESTS_FD, 65536)
        if not chunk:
            os._exit(0)  # the worker closed the requests: it is shutting down
        buffered += chunk
        while b"\n" in buffered:
            line, buffered = buffered.split(b"\n", 1)
            request = json.loads(line)
            token = request["token"]
            requested = time.monotonic_ns()
            # The supervisor starts with its signals blocked, so a SIGTERM cannot kill it unprepared.
            old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, supervisor.WATCHED)
            pid = os.fork()
            if pid == 0:
                TRACE.mark("fork server: request read", requested)
                TRACE.mark("supervisor: forked")
                return token, old_mask, request.get("ahead")
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            children[pid] = token
            send({"token": token, "pid": pid})


def select_readable(fds):
    while True:
        try:
            return select.select(fds, [], [])[0]
        except InterruptedError:
            continue


def reap(children):
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        token = children.pop(pid, None)
        if token is None:
            continue
        if os.WIFSIGNALED(status):
            send({"token": token, "exitCode": None, "signal": signal.Signals(os.WTERMSIG(status)).name})
        else:
            send({"token": token, "exitCode": os.WEXITSTATUS(status), "signal": None})


def connect(socket_path, token, name):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(socket_path)
    s.sendall(("%s %s\n" % (token, name)).encode())
    return s


def read_spec(conn):
    data = b""
    while b"\n" not in data:
        try:
            chunk = conn.recv(65536)
        except OSError:
            chunk = b""  # the worker died while this supervisor waited for an attempt
        if not chunk:
            os._exit(0)  # the worker gave the attempt up (or never had one for it)
        data += chunk
    return json.loads(data.split(b"\n", 1)[0])


def attempt(worker_pid, socket_path, token, old_mask, wakeup_fds, server_pid, ahead=None):
    """In the forked supervisor: set the attempt up; returns only in its main process (with its
    spec). AHEAD (supervisor.fork_ahead) starts the attempt's processes before its spec comes: a
    sandboxed attempt's init with the base of its view, or a Node.js task host (which never
    returns here: it is the command it names)."""
    os.setsid()  # its own session and process group, as a fresh attempt's supervisor has
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in wakeup_fds:
        os.close(fd)
    # Let go of the server's requests and events at once: a supervisor forked ahead of its attempt
    # may wait long for it, and the worker sees the server's end as the end of its events.
    for fd, mode in ((REQUESTS_FD, os.O_RDONLY), (EVENTS_FD, os.O_WRONLY)):
        devnull = os.open(os.devnull, mode)
        os.dup2(devnull, fd)
        os.close(devnull)
    worker = supervisor.begin(worker_pid)
    try:
        report = connect(socket_path, token, "report")
        out = connect(socket_path, token, "stdout")
        err = connect(socket_path, token, "stderr")
    except OSError:
        os._exit(0)  # the worker or its fork server is gone: no attempt will come
    os.dup2(out.fileno(), 1)
    os.dup2(err.fileno(), 2)
    out.close()
    err.close()
    if ahead:
        cgroup = ahead.get("cgroup") or ""
        main_pid, status_fd, send = supervisor.fork_ahead(cgroup, old_mask, report.fileno(), ahead, TRACE)
        if main_pid == 0:
            spec = send  # the main process of a forked attempt, which came: its spec
        else:
            TRACE.moments = []  # the init and the main process have those so far
            spec = read_spec(report)
            TRACE.file = spec["env"].get("DJOBS_START_TRACE")
            TRACE.mark("supervisor: spec read")
            send({"sandbox": spec.get("sandbox"), "task": spec})
            supervisor.supervise(
                main_pid, cgroup, spec["graceMs"], worker, server_pid, report.fileno(), TRACE, status_fd
            )
            os._exit(0)
    else:
        spec = read_spec(report)
        TRACE.file = spec["env"].get("DJOBS_START_TRACE")
        TRACE.mark("supervisor: spec read")
        cgroup = spec["cgroup"] or ""
        main_pid, status_fd = supervisor.fork_main(cgroup, old_mask, report.fileno(), spec.get("sandbox"), TRACE)
        if main_pid != 0:
            TRACE.moments = []  # the task's main process writes those so far
            supervisor.supervise(
                main_pid, cgroup, spec["graceMs"], worker, server_pid, report.fileno(), TRACE, status_fd
            )
            os._exit(0)
    TRACE.file = spec["env"].get("DJOBS_START_TRACE")
    TRACE.mark("task: forked")
    try:
        os.chdir(spec["cwd"])
    except OSError as e:
        supervisor.report({"spawnError": "%s: %s" % (spec["cwd"], e.strerror)}, report.fileno())
        os._exit(127)
    worker.close()
    if "exec" in spec:
        execute(spec, report.fileno())  # the report channel closes on exec (it is close-on-exec)
    report.close()  # the task's processes must not hold the report channel
    return spec


def become_task(spec):
    """In the attempt's main process: what a fresh interpreter would have, from the spec."""
    # Only what differs: the attempt's environment shares its startup variables and PATH with the
    # server's, and each change is a putenv (half of this step's time when all were set again).
    env = spec["env"]
    for name in [name for name in os.environ if name not in env]:
        del os.environ[name]
    for name, value in env.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
    sys.path[:] = TASK_SYS_PATH
    dbutils_module._take_secrets()
    # `random` reseeds itself after fork (os.register_at_fork); numpy's global generator does not.
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()


def main():
    worker_pid, socket_path = int(sys.argv[1]), sys.argv[2]
    supervisor.prctl(supervisor.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != worker_pid:
        return  # the worker died before PR_SET_PDEATHSIG took effect
    loaded, errors = preload()
    gc.collect()
    gc.freeze()  # what is warm now stays shared with the forks (no copy-on-write by the collector)
    wakeup_r, wakeup_w = os.pipe()
    os.set_blocking(wakeup_r, False)
    os.set_blocking(wakeup_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wakeup_w)
    send({"ready": True, "preloaded": loaded, "preloadErrors": errors})
    server_pid = os.getpid()
    token, old_mask, ahead = serve(worker_pid, wakeup_r)
    spec = attempt(worker_pid, socket_path, token, old_mask, (wakeup_r, wakeup_w), server_pid, ahead)
    become_task(spec)
    TRACE.mark("task: environment set")
    code = run_task(spec["argv"])
    TRACE.mark("task: exits")
    TRACE.write()
    os._exit(code)


def execute(spec, report_fd):
    """A task that is not Python: the forked main process becomes its command (or reports, as a
    fresh supervisor does, that it could not)."""
    TRACE.mark("task: executes its command")
    TRACE.write()
    command = spec["exec"]
    try:
        os.execvpe(command[0], command, spec["env"])
    except OSError as err:
        supervisor.report({"spawnError": "%s: %s" % (command[0], err.strerror or err)}, report_fd)
        os._exit(127)


def run_task(argv):
    """Run the task and end as the interpreter would (SystemExit's code, a traceback and 1, the
    threads joined, atexit handlers run, output flushed), without tearing the warm modules down
    one by one: the process exits at once after that."""
    try:
        TRACE.mark("task: user file starts")
        djobs_run.main(argv)
        TRACE.mark("task: user file ended")
        code = 0
    except SystemExit as e:
        code = exit_code(e.code)
    except BaseException:  # noqa: B036 - reported as the interpreter reports it
        sys.excepthook(*sys.exc_info())
        code = 1
    try:
        threading._shutdown()  # the interpreter waits for non-daemon threads at exit
    except BaseException:  # noqa: B036
        pass
    atexit._run_exitfuncs()
    flush_open_files()
    return code


def flush_open_files():
    """What the interpreter's teardown would do for files the task left open: flush them. The
    task's namespace is garbage now (collected here); files still referenced are flushed in place.
    Only objects made since the fork are looked at (the warm parent's are frozen)."""
    gc.collect()
    live = gc.get_objects()
    for kinds in ((io.TextIOWrapper,), (io.BufferedWriter, io.BufferedRandom)):
        for obj in live:
            if isinstance(obj, kinds):
                try:
                    obj.flush()
                except BaseException:  # noqa: B036 - a closed or broken file, as at the interpreter's exit
                    pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: B036
            pass


def exit_code(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except BaseException:  # noqa: B036
        pass
    return 1


if __name__ == "__main__":
    main()
