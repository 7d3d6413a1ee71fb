"""Supervisor of one task attempt: everything the task starts dies with it.

Usage: supervisor.py WORKER_PID GRACE_MS CGROUP_DIR -- COMMAND [ARGS...]   (CGROUP_DIR may be "")

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

File descriptor 3 is the report channel to the worker, JSON lines: {"exitCode", "signal"} of the
main process once the attempt is empty; {"spawnError"} if COMMAND could not be started;
{"cgroupError"} if it could not join CGROUP_DIR (then it runs contained by the subreaper alone).
"""

import ctypes
import json
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
REPORT_FD = 3
WATCHED = {signal.SIGCHLD, signal.SIGTERM, signal.SIGUSR1}


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


def report(message):
    try:
        os.write(REPORT_FD, (json.dumps(message) + "\n").encode())
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


def start_main(command, cgroup, old_mask):
    pid = os.fork()
    if pid != 0:
        return pid
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        if cgroup:
            try:
                with open(os.path.join(cgroup, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))
            except OSError as err:
                # Not allowed to move into it (cgroup delegation): the subreaper alone contains it.
                report({"cgroupError": err.strerror or str(err)})
        os.execvp(command[0], command)
    except BaseException as err:  # noqa: B036 - the child must never return into the supervisor
        report({"spawnError": "%s: %s" % (command[0], getattr(err, "strerror", None) or err)})
    os._exit(127)


def main(argv):
    worker, grace_ms, cgroup, sep, command = int(argv[0]), int(argv[1]), argv[2], argv[3], argv[4:]
    assert sep == "--" and command, __doc__
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    prctl(PR_SET_PDEATHSIG, signal.SIGUSR1)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    os.set_inheritable(REPORT_FD, False)  # the task's processes must not hold the report channel
    main_pid = start_main(command, cgroup, old_mask)
    if os.getppid() != worker and not alive(worker):  # it died before PR_SET_PDEATHSIG took effect
        os.kill(os.getpid(), signal.SIGUSR1)

    main_status = None
    kill_deadline = None  # when SIGTERM was sent: SIGKILL at this time
    killing = False  # SIGKILL every process of the attempt until it is empty
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
                main_status = status
        if pid == -1 and (not cgroup or cgroup_empty(cgroup)):
            break  # the main process and every straggler are gone
        if main_status is not None or (kill_deadline is not None and time.monotonic() >= kill_deadline):
            killing = True
        if killing:
            kill_all(signal.SIGKILL, cgroup)
        timeout = 0.05 if killing or pid == -1 else None
        if kill_deadline is not None and not killing:
            timeout = max(0.0, kill_deadline - time.monotonic())
        info = signal.sigtimedwait(WATCHED, timeout) if timeout is not None else signal.sigwaitinfo(WATCHED)
        if info is None:
            continue
        if info.si_signo == signal.SIGTERM and kill_deadline is None:
            kill_deadline = time.monotonic() + grace_ms / 1000
            kill_all(signal.SIGTERM, cgroup)
        elif info.si_signo == signal.SIGUSR1:
            killing = True

    if cgroup:
        try:
            os.rmdir(cgroup)  # emptied; the worker may be gone and unable to remove it
        except OSError:
            pass
    if os.WIFSIGNALED(main_status):
        report({"exitCode": None, "signal": signal.Signals(os.WTERMSIG(main_status)).name})
    else:
        report({"exitCode": os.WEXITSTATUS(main_status), "signal": None})


if __name__ == "__main__":
    main(sys.argv[1:])
