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


def fork_main(cgroup, old_mask, report_fd, sandbox=None, trace=None):
    """Fork the task's main process. In the supervisor, returns (pid, status_fd); in the main
    process (0, None), with the task's signal mask, in CGROUP_DIR (or having reported why not).

    Without SANDBOX the child is the main process. With it, the child is the attempt's init (in
    new namespaces, born in the cgroup where it can be): it builds the view and forks the main
    process, which takes the attempt's uid; STATUS_FD then gives the main process's wait status
    (read_status) once the init has ended. The init never returns from here."""
    flags = sandbox_module().clone_flags(sandbox) if sandbox else 0
    if sandbox:
        status_r, status_w = os.pipe()
        alive_r, alive_w = os.pipe()  # EOF in the init: the supervisor is gone
    pid = clone(flags, cgroup) if cgroup or flags else None
    born_in_cgroup = pid is not None and bool(cgroup)
    if pid is None:
        if flags:
            unshare(flags & CLONE_NEWPID)  # the supervisor's next child is the namespace's pid 1
        pid = os.fork()
        if pid == 0 and flags:
            unshare(flags & ~CLONE_NEWPID)
    if pid != 0:
        if not sandbox:
            return pid, None
        os.close(status_w)
        os.close(alive_r)
        KEPT.append(alive_w)  # open as long as this supervisor lives
        return pid, status_r
    if cgroup and not born_in_cgroup:
        try:
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
        except OSError as err:
            # Not allowed to move into it (cgroup delegation): the subreaper alone contains it.
            report({"cgroupError": err.strerror or str(err)}, report_fd)
    if not sandbox:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        return 0, None
    os.close(status_r)
    os.close(alive_w)
    box = sandbox_module()
    try:
        box.become_init(sandbox, alive_r)
        box.build_view(sandbox)
        if trace:
            trace.mark("sandbox: view built")
    except Exception as err:  # noqa: BLE001 - the attempt fails with the reason
        report({"spawnError": "the task's sandbox: %s" % err}, report_fd)
        os._exit(127)
    main_pid = os.fork()
    if main_pid == 0:
        os.close(status_w)
        os.close(alive_r)
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        try:
            box.drop_privileges(sandbox)
        except Exception as err:  # noqa: BLE001
            report({"spawnError": "the task's sandbox: %s" % err}, report_fd)
            os._exit(127)
        return 0, None
    os.close(report_fd)
    box.run_init(main_pid, status_w)


def fork_prestarted(cgroup, old_mask, report_fd, prestart):
    """Start the main process ahead of its attempt: PRESTART's command (a Node.js task host that
    loads its runtime and then reads its attempt from stdin), in the attempt's cgroup and, when
    PRESTART says "sandboxed", in the attempt's namespaces under its init, which builds the view
    only once the attempt is known. Returns (pid, status_fd, send) in the supervisor: send(spec)
    hands the attempt over ({"sandbox", "task"}), or nothing (send(None)) when none comes."""
    spec_r, spec_w = os.pipe()
    sandboxed = prestart.get("sandboxed", False)
    if sandboxed:
        status_r, status_w = os.pipe()
        alive_r, alive_w = os.pipe()
    box = sandbox_module()
    flags = box.clone_flags(prestart) if sandboxed else 0
    pid = clone(flags, cgroup)
    if pid is None:
        if flags:
            unshare(flags & CLONE_NEWPID)
        pid = os.fork()
        if pid == 0:
            unshare(flags & ~CLONE_NEWPID)
            if cgroup:
                try:
                    with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                        f.write(str(os.getpid()))
                except OSError as err:
                    report({"cgroupError": err.strerror or str(err)}, report_fd)
    if pid != 0:
        os.close(spec_r)
        if sandboxed:
            os.close(status_w)
            os.close(alive_r)
            KEPT.append(alive_w)

        def send(spec):
            try:
                if spec is not None:
                    os.write(spec_w, json.dumps(spec if sandboxed else spec["task"]).encode())
            except BrokenPipeError:
                pass  # the main process (or the init) is gone: its end is what the attempt reports
            finally:
                os.close(spec_w)

        return pid, status_r if sandboxed else None, send
    os.close(spec_w)
    if not sandboxed:
        exec_prestarted(prestart, spec_r, os.open(os.devnull, os.O_WRONLY), old_mask)
    os.close(status_r)
    os.close(alive_w)
    try:
        box.become_init(prestart, alive_r)
    except Exception as err:  # noqa: BLE001
        report({"spawnError": "the task's sandbox: %s" % err}, report_fd)
        os._exit(127)
    task_r, task_w = os.pipe()
    ready_r, ready_w = os.pipe()
    main_pid = os.fork()
    if main_pid == 0:
        for fd in (spec_r, task_w, status_w, alive_r, ready_r):
            os.close(fd)
        box.prctl(box.PR_SET_NO_NEW_PRIVS, 1)
        exec_prestarted(prestart, task_r, ready_w, old_mask)
    os.close(task_r)
    os.close(ready_w)
    # The view replaces the root this process and the main process share: not while the main
    # process still loads its runtime from the host's files. It says when it has (or dies).
    ready = os.read(ready_r, 1)
    os.close(ready_r)
    if ready != b"1":
        report({"spawnError": "the prestarted %s task host did not start" % prestart["kind"]}, report_fd)
        os._exit(127)
    spec = read_all(spec_r)
    if spec is None:
        os._exit(0)  # the attempt never came: the main process ends with this namespace
    try:
        box.build_view(spec["sandbox"])
    except Exception as err:  # noqa: BLE001
        report({"spawnError": "the task's sandbox: %s" % err}, report_fd)
        os._exit(127)
    sandbox = spec["sandbox"]
    task = dict(spec["task"], uid=sandbox["uid"], gid=sandbox["gid"], cwd=sandbox.get("cwd", spec["task"]["cwd"]))
    os.write(task_w, json.dumps(task).encode())
    os.close(task_w)
    os.close(report_fd)
    box.run_init(main_pid, status_w)


def exec_prestarted(prestart, stdin_fd, ready_fd, old_mask):
    """In the prestarted main process: its command, reading its attempt from STDIN_FD, and saying
    on file descriptor 3 (READY_FD) when it has loaded its runtime."""
    os.dup2(stdin_fd, 0)
    os.close(stdin_fd)
    os.dup2(ready_fd, 3)
    if ready_fd != 3:
        os.close(ready_fd)
    signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    try:
        os.execve(prestart["argv"][0], prestart["argv"], prestart["env"])
    except OSError as err:
        print("%s: %s" % (prestart["argv"][0], err.strerror), file=sys.stderr)
    os._exit(127)


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
