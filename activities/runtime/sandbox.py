"""The sandbox of one task attempt: its own mount, PID and IPC namespaces (and network namespace
when the worker cuts the network), the view of the file system the worker built for it
(activities/sandbox/view.ts), and an unprivileged uid.

The attempt's supervisor (supervisor.py) stays outside. It forks the attempt's *init*
(clone3 with the namespace flags: pid 1 of the new PID namespace, born in the attempt's cgroup
where it has one), which builds the view and then forks the task's main process (pid 2). The
init reaps everything in the namespace; when the main process exits it kills the rest (SIGKILL
to every process of the namespace), waits until they are gone, tells the supervisor the main
process's wait status over a pipe and exits. When the init dies, however, the kernel kills every
process of its PID namespace: nothing the task starts outlives it.

The view, as bubblewrap builds one: a tmpfs is mounted on /tmp (in the new mount namespace only)
and the root is pivoted into it, so that the host's files are reachable under /oldroot while the
new root is assembled under /newroot; then the root is pivoted into /newroot and the old one
detached. Every mount of the view is a bind of a host path (read-only, read-write, or read-write
through an idmapped mount that writes as the path's owner), a tmpfs (an empty directory, which
also hides what is under it), a symlink, a generated file, a minimal /dev or the namespace's own
/proc. What is not in the view does not exist for the task.

The main process then drops every privilege: no supplementary group (but a SQL task's
warehouse's), the attempt's gid and uid (real, effective and saved), no_new_privs (no setuid
binary or file capability can give anything back), umask 022.

`python3 sandbox.py --probe UID` checks that this host can do all of that (the worker runs it
once at start) and prints {"ok": true} or {"ok": false, "reason": ...}.
"""

import ctypes
import fcntl
import json
import os
import platform
import select
import signal
import socket
import struct
import sys
import threading  # used by the init after the pivot, when the host's files are out of reach

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_SLAVE = 0x80000
MNT_DETACH = 0x2

# The mount API of Linux 5.2+ (open_tree, move_mount) and 5.12+ (mount_setattr): the same
# numbers on every architecture (the generic syscall table).
SYS_OPEN_TREE = 428
SYS_MOVE_MOUNT = 429
SYS_MOUNT_SETATTR = 442
OPEN_TREE_CLONE = 0x1
OPEN_TREE_CLOEXEC = os.O_CLOEXEC
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_IDMAP = 0x100000

# pivot_root predates the generic table: its number differs by architecture.
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}.get(platform.machine())

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

# The device nodes a task gets (bound from the host's /dev), as bubblewrap's --dev gives them.
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


class SandboxError(Exception):
    pass


def check(result, what):
    if result < 0:
        err = ctypes.get_errno()
        raise SandboxError("%s: %s" % (what, os.strerror(err)))
    return result


def c_path(path):
    return None if path is None else os.fsencode(path)


def mount(source, target, fstype, flags, data=None):
    check(
        libc.mount(c_path(source), c_path(target), c_path(fstype), ctypes.c_ulong(flags), c_path(data)),
        "mount %s on %s" % (source or fstype, target),
    )


def umount(target):
    check(libc.umount2(c_path(target), MNT_DETACH), "umount %s" % target)


def pivot_root(new_root, put_old):
    if SYS_PIVOT_ROOT is None:
        raise SandboxError("pivot_root: unknown system call number on %s" % platform.machine())
    check(libc.syscall(ctypes.c_long(SYS_PIVOT_ROOT), c_path(new_root), c_path(put_old)), "pivot_root")


def prctl(option, value):
    check(libc.prctl(option, ctypes.c_ulong(value), 0, 0, 0), "prctl(%d)" % option)


class MountAttr(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in ("attr_set", "attr_clr", "propagation", "userns_fd")]


def bind(source, target, read_only, nodev=True, userns=None):
    """Bind SOURCE (and the mounts under it) on TARGET, read-only or not, nosuid; through USERNS
    (an idmapping user namespace) when given: a detached copy made with open_tree, its attributes
    set at once on every mount of it (mount_setattr), moved into place."""
    tree = check(
        libc.syscall(
            ctypes.c_long(SYS_OPEN_TREE),
            ctypes.c_int(AT_FDCWD),
            c_path(source),
            ctypes.c_uint(OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE),
        ),
        "open_tree %s" % source,
    )
    try:
        attr = MountAttr(
            attr_set=MOUNT_ATTR_NOSUID
            | (MOUNT_ATTR_NODEV if nodev else 0)
            | (MOUNT_ATTR_RDONLY if read_only else 0)
            | (MOUNT_ATTR_IDMAP if userns is not None else 0),
            userns_fd=userns if userns is not None else 0,
        )
        check(
            libc.syscall(
                ctypes.c_long(SYS_MOUNT_SETATTR),
                ctypes.c_int(tree),
                b"",
                ctypes.c_uint(AT_EMPTY_PATH | AT_RECURSIVE),
                ctypes.byref(attr),
                ctypes.c_size_t(ctypes.sizeof(attr)),
            ),
            "mount_setattr %s" % source,
        )
        check(
            libc.syscall(
                ctypes.c_long(SYS_MOVE_MOUNT),
                ctypes.c_int(tree),
                b"",
                ctypes.c_int(AT_FDCWD),
                c_path(target),
                ctypes.c_uint(MOVE_MOUNT_F_EMPTY_PATH),
            ),
            "move_mount %s" % target,
        )
    finally:
        os.close(tree)


def mountpoint(target, like):
    """Make TARGET exist as the kind of thing LIKE is (a file or a directory)."""
    if os.path.isdir(like):
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644))


class IdMaps:
    """User namespaces that map one host uid and gid (a path's owner) to the task's, one per owner,
    for idmapped mounts: each is made by a short-lived child, kept open as a file descriptor."""

    def __init__(self, uid, gid):
        self.uid, self.gid = uid, gid
        self.fds = {}

    def userns(self, owner_uid, owner_gid):
        key = (owner_uid, owner_gid)
        if key not in self.fds:
            if not self.fds:
                # The host's /proc (under /oldroot) does not know this namespace's pids: a /proc of
                # its own, on the base tmpfs, which disappears with it.
                os.mkdir("/proc", 0o555)
                mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV)
            self.fds[key] = make_userns("%d %d 1\n" % (owner_uid, self.uid), "%d %d 1\n" % (owner_gid, self.gid))
        return self.fds[key]

    def close(self):
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}


def make_userns(uid_map, gid_map):
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(ready_r)
            os.close(done_w)
            check(libc.unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)")
            os.write(ready_w, b"1")
            os.read(done_r, 1)  # until the parent has the namespace's descriptor
        finally:
            os._exit(0)
    os.close(ready_w)
    os.close(done_r)
    try:
        if os.read(ready_r, 1) != b"1":
            raise SandboxError("could not make a user namespace for an idmapped mount")
        for name, text in (("uid_map", uid_map), ("gid_map", gid_map)):
            with open("/proc/%d/%s" % (pid, name), "w") as f:
                f.write(text)
        return os.open("/proc/%d/ns/user" % pid, os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(ready_r)
        os.close(done_w)
        os.waitpid(pid, 0)


class View:
    """The view being built in an attempt's mount namespace: first its base, the same for every
    attempt of the worker (built ahead of the attempt by a spare's init), then the attempt's own
    mounts and the pivot into it (build_attempt)."""

    def __init__(self):
        self.read_only = []  # tmpfs made read-only once every mount is in place
        self.idmaps = None


def build_base(spec):
    """In the attempt's new mount namespace (as root): a tmpfs root at /newroot with the base
    mounts of SPEC, the host's root reachable under /oldroot until build_attempt is done."""
    mount(None, "/", None, MS_SLAVE | MS_REC)  # nothing done here reaches the host
    mount("tmpfs", "/tmp", "tmpfs", MS_NODEV | MS_NOSUID, "mode=0755")
    os.chdir("/tmp")
    os.mkdir("newroot", 0o755)
    mount("newroot", "newroot", None, MS_BIND | MS_REC)
    os.mkdir("oldroot", 0o755)
    pivot_root("/tmp", "oldroot")
    os.chdir("/")
    view = View()
    for m in spec["base"]:
        add_mount(m, view)
    return view


def build_attempt(view, spec):
    """The attempt's own mounts (its code, scratch, warehouse, read-write paths, passwd), then the
    root made read-only and pivoted into. The host's root is still stacked under the new one, out
    of every path's reach (a process's root is the new root); detaching it waits for an RCU grace
    period, which a thread does meanwhile, off the attempt's way (detach_old_root)."""
    view.idmaps = IdMaps(spec["uid"], spec["gid"])
    try:
        for m in spec["mounts"]:
            add_mount(m, view)
    finally:
        view.idmaps.close()
    for target in view.read_only:
        mount(None, "/newroot" + target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    mount(None, "/newroot", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir("/newroot")
    pivot_root(".", ".")


def detach_old_root():
    """Detach the host's root under the new root (its unmount waits for an RCU grace period) in a
    thread of the init, while the task starts: "." is the new root, where the init stays."""
    threading.Thread(target=umount, args=(".",), daemon=True).start()


def build_view(spec):
    """The whole view at once (an attempt without a spare): base, attempt, pivot."""
    build_attempt(build_base(spec), spec)


def add_mount(m, view):
    kind, target = m["kind"], "/newroot" + m["target"]
    if kind in ("ro", "rw", "owner"):
        source = "/oldroot" + m["source"]
        if not os.path.exists(source):
            raise SandboxError("%s does not exist" % m["source"])
        mountpoint(target, source)
        userns = None
        if kind == "owner":
            st = os.stat(source)
            userns = view.idmaps.userns(st.st_uid, st.st_gid)
        try:
            bind(source, target, read_only=kind == "ro", userns=userns)
        except SandboxError:
            if userns is None:
                raise
            bind(source, target, read_only=False)  # a file system without idmapped mounts
    elif kind == "tmpfs":
        os.makedirs(target, exist_ok=True)
        mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=%o" % m.get("mode", 0o755))
        if m.get("readOnly"):
            view.read_only.append(m["target"])
    elif kind == "symlink":
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.symlink(m["source"], target)
    elif kind == "file":
        # Written on the tmpfs of the old root's /tmp (out of the task's sight once it is detached),
        # bound read-only on its place.
        staged = "/" + m["target"].strip("/").replace("/", "_")
        with open(staged, "w") as f:
            f.write(m["content"])
        mountpoint(target, staged)
        bind(staged, target, read_only=True)
    elif kind == "dev":
        os.makedirs(target, exist_ok=True)
        mount("tmpfs", target, "tmpfs", MS_NOSUID, "mode=0755")
        for name in DEVICES:
            if os.path.exists("/oldroot/dev/" + name):
                mountpoint(target + "/" + name, "/oldroot/dev/" + name)
                bind("/oldroot/dev/" + name, target + "/" + name, read_only=False, nodev=False)
        for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                           ("stderr", "/proc/self/fd/2")):
            os.symlink(link, target + "/" + name)
        os.mkdir(target + "/shm")
        mount("tmpfs", target + "/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
        view.read_only.append(m["target"])
    elif kind == "proc":
        os.makedirs(target, exist_ok=True)
        mount("proc", target, "proc", MS_NOSUID | MS_NODEV | 0x8)  # 0x8: MS_NOEXEC
    else:
        raise SandboxError("unknown mount kind %r" % kind)


def loopback_up():
    """A new network namespace has a loopback interface, down: bring it up (SIOCSIFFLAGS)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifreq = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, 0x8913, ifreq))[1]  # SIOCGIFFLAGS
        fcntl.ioctl(s, 0x8914, struct.pack("16sH14x", b"lo", flags | 0x1))  # SIOCSIFFLAGS, IFF_UP
    finally:
        s.close()


def clone_flags(spec):
    return CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (0 if spec.get("network", True) else CLONE_NEWNET)


def drop_privileges(spec):
    """In the task's main process, the last step before the task: the attempt's identity, no way
    back, in its working directory."""
    os.umask(0o022)
    os.setgroups(spec.get("groups", []))
    os.setresgid(spec["gid"], spec["gid"], spec["gid"])
    os.setresuid(spec["uid"], spec["uid"], spec["uid"])
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    try:
        os.chdir(spec.get("cwd", "/"))
    except OSError as err:
        raise SandboxError("%s: %s" % (spec.get("cwd"), err.strerror))


def become_init(spec, parent_alive_fd):
    """In the forked init (pid 1 of the attempt's namespaces): its own session (the task's
    processes are in it), dead with its supervisor, its loopback up when it has a network
    namespace. The view comes next (build_view), now or once the attempt is known."""
    os.setsid()
    # The view's directories and files get the modes they are made with, not the worker's umask
    # (077, for a private DJOBS_HOME): the task must traverse them.
    os.umask(0o022)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if select.select([parent_alive_fd], [], [], 0)[0]:
        os._exit(1)  # the supervisor died before the parent-death signal was set: its end is ours
    if not spec.get("network", True):
        loopback_up()


def run_init(main_pid, status_fd):
    """Pid 1 of the attempt: reap every process; once the main process has exited, kill the rest,
    and when none is left, write the main process's wait status to STATUS_FD and exit."""
    main_status = None
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == main_pid:
            main_status = status
            try:
                os.kill(-1, signal.SIGKILL)  # every other process of this PID namespace
            except ProcessLookupError:
                pass
    if main_status is not None:
        os.write(status_fd, ("%d\n" % main_status).encode())
    os._exit(0)


def read_status(fd, fallback):
    """The main process's wait status as its init wrote it; FALLBACK (the init's own) when the
    init died before it could (killed with its namespace)."""
    try:
        data = os.read(fd, 64)
    except OSError:
        data = b""
    finally:
        os.close(fd)
    return int(data) if data.strip() else fallback


def probe(uid):
    """Can this process sandbox an attempt? What an attempt does (supervisor.fork_main) with a
    minimal view and UID: {"ok": true}, or the reason it cannot."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import supervisor

    spec = {
        "uid": uid,
        "gid": uid,
        "cwd": "/",
        "base": [{"kind": "ro", "source": "/usr", "target": "/usr"}, {"kind": "proc", "target": "/proc"}],
        "mounts": [],
    }
    r, w = os.pipe()
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, supervisor.WATCHED)
    try:
        pid, status_fd = supervisor.fork_main("", old_mask, w, spec)
    except OSError as err:
        return {"ok": False, "reason": "cannot create mount, PID and IPC namespaces (%s)" % (err.strerror or err)}
    if pid == 0:
        took = os.getuid() == uid and not os.path.exists("/oldroot") and os.listdir("/proc") != []
        supervisor.report({"ok": True} if took else {"spawnError": "the view or the uid did not take"}, w)
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    os.close(status_fd)
    result = {}
    for line in os.read(r, 4096).decode().splitlines():
        result.update(json.loads(line))
    if result.get("ok"):
        return {"ok": True}
    return {"ok": False, "reason": result.get("spawnError", "the probe's sandbox died")}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:
        print(json.dumps(probe(int(sys.argv[2]))))
    else:
        sys.exit(__doc__)
