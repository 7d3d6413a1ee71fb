"""Supervisor of one task attempt: everything the task starts dies with it.

Usage: supervisor.py WORKER_PID GRACE_MS CGROUP_DIR SANDBOX -- COMMAND [ARGS...]
(CGROUP_DIR may be ""; SANDBOX is the attempt's sandbox as JSON, or "" for none)

The worker starts this process, which starts COMMAND (the task's main process) and stays its
parent. It is a child subreaper (prctl PR_SET_CHILD_SUBREAPER, Linux 3.4+), so processes that
leave their session (setsid) or daemonize (double fork) are re-parented to it rather than to
init, and it can still find and kill them. With CGROUP_DIR (a cgroup v2 directory the worker
made for this attempt) the main process moves itself into that cgroup before exec, and killing
means writing cgroup.kill, which reaches every process of the cgroup at once.

It asks the kernel for SIGUSR1 when the worker dies (prctl PR_SET_PDEATHSIG), and then kills
the whole tree at once: a task never outlives its worker, so a retried attempt never overlaps it.

- the main process exits: the stragglers are killed (SIGKILL); the supervisor reports once all
  of them are gone.
- SIGTERM (cancel, timeout): SIGTERM to every process of the attempt, SIGKILL after GRACE_MS.
- SIGUSR1 (the worker died): SIGKILL to every process of the attempt at once.

The worker's Python fork server (forkserver.py) uses the same functions (begin, fork_main,
supervise) in a forked child instead of a fresh interpreter. There the supervisor's parent is the
fork server, not the worker: when the fork server dies, SIGUSR1 comes while the worker may live
on, so the supervisor checks the worker (a pidfd) and, if it lives, watches it from then on.

With SANDBOX (sandbox.py), the supervisor's child is not the task but the attempt's init: pid 1
of the attempt's own mount, PID and IPC namespaces, which builds the task's view of the files and
forks the task's main process under the attempt's uid. The supervisor stays outside the sandbox
and watches the init as it would the main process: the init tells it the main process's status
when the attempt is empty, and the whole namespace dies with the init.

File descriptor 3 is the report channel to the worker, JSON lines: {"exitCode", "signal"} of the
main process once the attempt is empty; {"spawnError"} if COMMAND could not be started;
{"cgroupError"} if it could not join CGROUP_DIR (then it runs contained by the subreaper alone).
"""

import ctypes
import json
import os
import select
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
REPORT_FD = 3
WATCHED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGUSR1}
ORPHAN_POLL_SECONDS = 0.1


def prctl(option, value):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(%d) failed" % option)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def report(message, fd=REPORT_FD):
    try:
        os.write(fd, (json.dumps(message) + "\n").encode())
    except OSError:
        pass  # the worker is gone; nobody to tell


def descendants():
    """Pids whose parent chain leads to this process (orphans are re-parented here)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the fields after the last ")" are safe.
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(), []):
            found.append(pid)
            todo.append(pid)
    return found


def kill_all(sig, cgroup):
    if cgroup and sig == signal.SIGKILL:
        try:
            with open(os.path.join(cgroup, "cgroup.kill"), "w") as f:
                f.write("1")
        except OSError:
            pass
    pids = set(descendants())
    if cgroup:
        try:
            with open(os.path.join(cgroup, "cgroup.procs")) as f:
                pids.update(int(line) for line in f if line.strip())
        except OSError:
            pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def cgroup_empty(cgroup):
    try:
        with open(os.path.join(cgroup, "cgroup.events")) as f:
            return "populated 0" in f.read()
    except OSError:
        return True


class Worker:
    """The worker process, watched through a pidfd where the system has one (no pid reuse)."""

    def __init__(self, pid, watch):
        self.pid = pid
        self.fd = None
        if not watch:
            return  # the worker is the parent: its death is the parent-death signal
        try:
            self.fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pass  # Python < 3.9, Linux < 5.3, or already gone: ask the pid

    def gone(self):
        if self.fd is not None:
            return bool(select.select([self.fd], [], [], 0)[0])
        return not alive(self.pid)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def begin(worker_pid, watch=True):
    """Become the attempt's supervisor: a subreaper told by SIGUSR1 when its parent dies."""
    signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    prctl(PR_SET_PDEATHSIG, signal.SIGUSR1)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    return Worker(worker_pid, watch)


class CloneArgs(ctypes.Structure):
    """struct clone_args of clone3(2), up to its cgroup field (Linux 5.7)."""

    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "flags",
            "pidfd",
            "child_tid",
            "parent_tid",
            "exit_signal",
            "stack",
            "stack_size",
            "tls",
            "set_tid",
            "set_tid_size",
            "cgroup",
        )
    ]


SYS_CLONE3 = 435  # the same number on every architecture (the generic syscall table)
CLONE_INTO_CGROUP = 0x200000000
CLONE_NEWPID = 0x20000000


def clone(flags, cgroup):
    """Fork with clone3(2): with FLAGS (new namespaces), and straight into CGROUP when given
    (CLONE_INTO_CGROUP): the child is born there.

    Moving a process into a cgroup afterwards (writing cgroup.procs) waits for an RCU grace period
    in the kernel (the cgroup_threadgroup_rwsem's writer side), ~15 ms on an idle 2-core machine,
    more under load: most of a forked Python task's start. Born in the cgroup, it waits for nothing.

    A fork as os.fork makes it (the interpreter's before/after-fork work: at-fork hooks, import
    lock, threading state) around the bare system call, which is only sound in a process with one
    thread, as a supervisor is. The bare call skips the C library's own fork handlers, which a
    single-threaded process does not need (no lock can be held by another thread).
    Returns the pid (0 in the child), or None when this kernel or Python cannot (clone3 or
    CLONE_INTO_CGROUP missing, the cgroup not ours): then fork, unshare and move.
    """
    if sys.implementation.name != "cpython" or threading_count() != 1:
        return None
    fd = None
    if cgroup:
        try:
            fd = os.open(cgroup, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            return None
    try:
        libc = ctypes.PyDLL(None, use_errno=True)  # PyDLL: the call keeps the interpreter's lock
        libc.syscall.restype = ctypes.c_long
        api = ctypes.pythonapi
        before, child, parent = api.PyOS_BeforeFork, api.PyOS_AfterFork_Child, api.PyOS_AfterFork_Parent
    except (AttributeError, OSError):
        if fd is not None:
            os.close(fd)
        return None
    args = CloneArgs(
        flags=flags | (CLONE_INTO_CGROUP if fd is not None else 0),
        exit_signal=signal.SIGCHLD,
        cgroup=fd if fd is not None else 0,
    )
    before()
    pid = libc.syscall(ctypes.c_long(SYS_CLONE3), ctypes.byref(args), ctypes.c_size_t(ctypes.sizeof(args)))
    if pid == 0:
        child()
    else:
        parent()
    if fd is not None:
        os.close(fd)
    return pid if pid >= 0 else None


def threading_count():
    threading = sys.modules.get("threading")
    return threading.active_count() if threading is not None else 1


def fork_child(flags, cgroup, report_fd):
    """Fork the supervisor's child: in new namespaces (FLAGS), born in CGROUP where the kernel
    allows it, else forked, unshared and moved (reporting cgroupError when it may not move)."""
    pid = clone(flags, cgroup) if cgroup or flags else None
    if pid is not None:
        return pid
    if flags:
        unshare(flags & CLONE_NEWPID)  # the supervisor's next child is the namespace's pid 1
    pid = os.fork()
    if pid == 0:
        unshare(flags & ~CLONE_NEWPID)
        if cgroup:
            try:
                with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))
            except OSError as err:
                # Not allowed to move into it (cgroup delegation): the subreaper alone contains it.
                report({"cgroupError": err.strerror or str(err)}, report_fd)
    return pid


def fork_main(cgroup, old_mask, report_fd, sandbox=None, trace=None):
    """Fork the task's main process. In the supervisor, returns (pid, status_fd); in the main
    process (0, None), with the task's signal mask, in CGROUP_DIR (or having reported why not).

    Without SANDBOX the child is the main process. With it, the child is the attempt's init (in
    new namespaces, born in the cgroup where it can be): it builds the view and forks the main
    process, which takes the attempt's uid; STATUS_FD then gives the main process's wait status
    (read_status) once the init has ended. The init never returns from here."""
    box = sandbox_module() if sandbox else None
    if not sandbox:
        pid = fork_child(0, cgroup, report_fd)
        if pid == 0:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            os.umask(0o022)  # the task's, whatever the worker's (077: DJOBS_HOME is private)
        return pid, None
    init = Init(box, sandbox, cgroup, report_fd, trace)
    if init.pid != 0:
        return init.pid, init.status_r
    init.guarded(lambda: box.build_view(sandbox))
    return init.fork_task(sandbox, old_mask), None


def fork_ahead(cgroup, old_mask, report_fd, ahead, trace=None):
    """Start an attempt's processes ahead of it (a spare): AHEAD says which. Returns, in the
    supervisor, (pid, status_fd, send): send(spec) hands the attempt over once it comes (a
    sandboxed one through its init), or nothing (send(None)) when none comes. A forked Python
    attempt's main process returns (0, None, spec) once its attempt came.

    - {"sandboxed": true}: the attempt's init, in its namespaces and cgroup, builds the base of
      the view (what every attempt of the worker sees) ahead; the attempt's own mounts and its
      main process (a fork of this interpreter) follow its spec.
    - {"command": ARGV, "env"}: a main process started now, a Node.js task host that loads its
      runtime and then reads its attempt from stdin (runtime/node/task-host.cjs), in the init's
      namespaces when sandboxed, else the supervisor's child.
    Either tells the worker on the report channel when it is ready ({"loaded": true})."""
    spec_r, spec_w = os.pipe()
    command = ahead.get("command")
    box = sandbox_module()

    def sender(fd, sandboxed):
        def send(spec):
            try:
                if spec is not None:
                    os.write(fd, json.dumps(spec if sandboxed else task_of(spec)).encode())
            except BrokenPipeError:
                pass  # the main process (or the init) is gone: its end is what the attempt reports
            finally:
                os.close(fd)

        return send

    if not ahead.get("sandboxed"):
        ready_r, ready_w = os.pipe()  # the supervisor says when the main process has loaded
        pid = fork_child(0, cgroup, report_fd)
        if pid == 0:
            os.close(spec_w)
            os.close(ready_r)
            exec_task_host(command, spec_r, ready_w, old_mask)
        os.close(spec_r)
        os.close(ready_w)
        relay_loaded(ready_r, report_fd)
        return pid, None, sender(spec_w, False)

    init = Init(box, ahead, cgroup, report_fd, trace)
    if init.pid != 0:
        os.close(spec_r)
        return init.pid, init.status_r, sender(spec_w, True)
    os.close(spec_w)
    host = None
    if command:
        # The view replaces the root the init and the task host share: not while the host still
        # loads its runtime from the host's files. It says when it has (or dies).
        task_r, task_w = os.pipe()
        ready_r, ready_w = os.pipe()
        host = os.fork()
        if host == 0:
            for fd in (spec_r, task_w, init.status_w, init.alive_r, ready_r):
                os.close(fd)
            box.prctl(box.PR_SET_NO_NEW_PRIVS, 1)
            exec_task_host(command, task_r, ready_w, old_mask)
        os.close(task_r)
        os.close(ready_w)
        ready = os.read(ready_r, 1)
        os.close(ready_r)
        if ready != b"1":
            init.fail("the prestarted task host did not start")
    view = init.guarded(lambda: box.build_base(ahead))
    if trace:
        trace.mark("sandbox: base built")
    report({"loaded": True}, report_fd)
    spec = read_all(spec_r)
    if spec is None:
        os._exit(0)  # the attempt never came: its processes end with this namespace
    sandbox = spec["sandbox"]
    init.guarded(lambda: box.build_attempt(view, sandbox))
    if not command:
        init.fork_task(sandbox, old_mask)  # returns in the main process only
        return 0, None, spec["task"]
    if trace:
        trace.mark("sandbox: view built")
    identity = {"uid": sandbox["uid"], "gid": sandbox["gid"], "groups": sandbox.get("groups", []), "cwd": sandbox["cwd"]}
    os.write(task_w, json.dumps(dict(task_of(spec), **identity)).encode())
    os.close(task_w)
    init.run(host)


def task_of(spec):
    """What a prestarted task host reads: the attempt's working directory, environment, arguments."""
    return {"cwd": spec["task"]["cwd"], "env": spec["task"]["env"], "argv": spec["task"]["argv"]}


class Init:
    """The attempt's init: forked (pid 1 of new namespaces, in the attempt's cgroup) by the
    supervisor, which gets its pid and the pipe its main process's status comes through. In the
    init, pid is 0: it is the namespace's session leader, dies with the supervisor (guarded steps
    report what failed as the attempt's spawnError), forks the main process and reaps everything."""

    def __init__(self, box, spec, cgroup, report_fd, trace):
        self.box, self.report_fd, self.trace = box, report_fd, trace
        self.status_r, self.status_w = os.pipe()
        self.alive_r, alive_w = os.pipe()  # EOF in the init: the supervisor is gone
        self.pid = fork_child(box.clone_flags(spec), cgroup, report_fd)
        if self.pid != 0:
            os.close(self.status_w)
            os.close(self.alive_r)
            KEPT.append(alive_w)  # open as long as this supervisor lives
            # The attempt's mount namespace, held here: when the init exits, the namespace (and its
            # mounts) is not torn down in the init's exit, which would wait for an RCU grace period
            # before the supervisor learns of it, but when this supervisor exits, after its report.
            # An init that has already exited (a short attempt, or a probe, on a loaded machine the
            # init may run to its end before the supervisor gets here) has no namespace left to
            # hold: its /proc/PID/ns links are gone (ENOENT) while it waits to be reaped.
            try:
                KEPT.append(os.open("/proc/%d/ns/mnt" % self.pid, os.O_RDONLY | os.O_CLOEXEC))
            except FileNotFoundError:
                pass
            return
        os.close(self.status_r)
        os.close(alive_w)
        self.guarded(lambda: box.become_init(spec, self.alive_r))

    def fail(self, message):
        report({"spawnError": "the task's sandbox: %s" % message}, self.report_fd)
        os._exit(127)

    def guarded(self, step):
        try:
            return step()
        except Exception as err:  # noqa: BLE001 - the attempt fails with the reason
            self.fail(err)

    def fork_task(self, sandbox, old_mask):
        """Fork the main process, which drops to the attempt's uid and returns 0; the init reaps."""
        if self.trace:
            self.trace.mark("sandbox: view built")
        main_pid = os.fork()
        if main_pid == 0:
            os.close(self.status_w)
            os.close(self.alive_r)
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            self.guarded(lambda: self.box.drop_privileges(sandbox))
            return 0
        self.run(main_pid)

    def run(self, main_pid):
        os.close(self.report_fd)
        self.box.detach_old_root()
        self.box.run_init(main_pid, self.status_w)


def exec_task_host(command, stdin_fd, ready_fd, old_mask):
    """In a prestarted main process: its COMMAND ({"argv", "env"}), reading its attempt from
    STDIN_FD, and saying on file descriptor 3 (READY_FD) when it has loaded its runtime."""
    os.dup2(stdin_fd, 0)
    os.close(stdin_fd)
    os.dup2(ready_fd, 3)
    if ready_fd != 3:
        os.close(ready_fd)
    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    try:
        os.execve(command["argv"][0], command["argv"], command["env"])
    except OSError as err:
        print("%s: %s" % (command["argv"][0], err.strerror), file=sys.stderr)
    os._exit(127)


def relay_loaded(ready_r, report_fd):
    """Tell the worker, on the report channel, when a prestarted main process (not sandboxed: no
    init to do it) has loaded its runtime: a thread, as the supervisor waits for its spec meanwhile."""
    import threading

    def relay():
        try:
            if os.read(ready_r, 1) == b"1":
                report({"loaded": True}, report_fd)
        finally:
            os.close(ready_r)

    threading.Thread(target=relay, daemon=True).start()


def read_all(fd):
    """What the supervisor sends: JSON to the end, or None when it sent nothing."""
    data = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(fd)
    return json.loads(data) if data.strip() else None


KEPT = []


def unshare(flags):
    if flags:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(ctypes.c_int(flags)) != 0:
            raise OSError(ctypes.get_errno(), "unshare(%#x) failed" % flags)


def sandbox_module():
    """sandbox.py, beside this file, imported by sandboxed attempts only (by path: the interpreter
    runs isolated, without this directory on sys.path)."""
    module = sys.modules.get("djobs_sandbox")
    if module is None:
        import importlib.util

        spec = importlib.util.spec_from_file_location(
            "djobs_sandbox", os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox.py")
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["djobs_sandbox"] = module
    return module


def supervise(main_pid, cgroup, grace_ms, worker, parent, report_fd, trace=None, status_fd=None):
    """Wait for the main process and every straggler, kill on SIGTERM or when the worker dies, and
    report the main process's status once the attempt is empty. TRACE (the fork server's start
    trace) marks the main process's end and the attempt's, and is written before the report. With
    STATUS_FD (a sandboxed attempt), MAIN_PID is the attempt's init and the main process's status
    comes from there."""
    if os.getppid() != parent:  # the parent died before PR_SET_PDEATHSIG took effect
        os.kill(os.getpid(), signal.SIGUSR1)

    main_status = None
    kill_deadline = None  # when SIGTERM was sent: SIGKILL at this time
    killing = False  # SIGKILL every process of the attempt until it is empty
    # The parent died but the worker lives (the parent was the worker's Python fork server): watch
    # the worker itself from now on.
    orphaned = False
    while True:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = -1
                break
            if pid == 0:
                break
            if pid == main_pid:
                main_status = status if status_fd is None else sandbox_module().read_status(status_fd, status)
                if trace:
                    trace.mark("supervisor: task reaped")
        if pid == -1 and (not cgroup or cgroup_empty(cgroup)):
            break  # the main process and every straggler are gone
        if main_status is not None or (kill_deadline is not None and time.monotonic() >= kill_deadline):
            killing = True
        if orphaned and worker.gone():
            killing = True
        if killing:
            kill_all(signal.SIGKILL, cgroup)
        timeout = 0.05 if killing or pid == -1 else None
        if kill_deadline is not None and not killing:
            timeout = max(0.0, kill_deadline - time.monotonic())
        if orphaned:
            timeout = ORPHAN_POLL_SECONDS if timeout is None else min(timeout, ORPHAN_POLL_SECONDS)
        info = signal.sigtimedwait(WATCHED, timeout) if timeout is not None else signal.sigwaitinfo(WATCHED)
        if info is None:
            continue
        if info.si_signo == signal.SIGTERM and kill_deadline is None:
            kill_deadline = time.monotonic() + grace_ms / 1000
            kill_all(signal.SIGTERM, cgroup)
        elif info.si_signo == signal.SIGUSR1:
            # The parent is the worker (a fresh interpreter's supervisor), or the worker is gone too.
            if parent == worker.pid or worker.gone():
                killing = True
            else:
                orphaned = True

    if cgroup:
        try:
            os.rmdir(cgroup)  # emptied; the worker may be gone and unable to remove it
        except OSError:
            pass
    if trace:
        trace.mark("supervisor: attempt empty, reports")
        trace.write()
    if os.WIFSIGNALED(main_status):
        report({"exitCode": None, "signal": signal.Signals(os.WTERMSIG(main_status)).name}, report_fd)
    else:
        report({"exitCode": os.WEXITSTATUS(main_status), "signal": None}, report_fd)
    # The attempt has ended: let go of its report and output at once, before this process's exit
    # (which releases the attempt's namespaces, KEPT) can delay them.
    os.close(report_fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def main(argv):
    worker_pid, grace_ms, cgroup, sandbox, sep, command = int(argv[0]), int(argv[1]), argv[2], argv[3], argv[4], argv[5:]
    assert sep == "--" and command, __doc__
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    worker = begin(worker_pid, watch=False)
    os.set_inheritable(REPORT_FD, False)  # the task's processes must not hold the report channel
    main_pid, status_fd = fork_main(cgroup, old_mask, REPORT_FD, json.loads(sandbox) if sandbox else None)
    if main_pid == 0:
        try:
            os.execvp(command[0], command)
        except BaseException as err:  # noqa: B036 - the child must never return into the supervisor
            report({"spawnError": "%s: %s" % (command[0], getattr(err, "strerror", None) or err)})
        os._exit(127)
    supervise(main_pid, cgroup, grace_ms, worker, worker_pid, REPORT_FD, status_fd=status_fd)


if __name__ == "__main__":
    main(sys.argv[1:])
