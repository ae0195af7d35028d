#!/usr/bin/env python3
"""Check an `strace -f` log of an unprivileged numabench run.

Usage: check_writes.py TRACE RESULTS_DIR

- every file opened for writing, created, renamed, linked, truncated or removed is inside
  RESULTS_DIR, except /proc/PID/mem of a process of the run itself (the gup bench writes
  its own children's memory) and /dev/null;
- /proc/PID/mem, process_vm_readv/writev and ptrace only ever target processes of the run
  (the pids the trace follows: numabench and what it forked);
- after numabench itself is exec'd, nothing is exec'd (no shell, no helper).
Prints one line per violation and the counts; exit 1 on any violation.
"""
import re
import sys

trace, resdir = sys.argv[1], sys.argv[2].rstrip("/") + "/"
line_re = re.compile(r"^(\d+)\s+(\w+)\((.*)$")
pids, calls = set(), []
pending = {}
for raw in open(trace, errors="replace"):
    raw = raw.rstrip("\n")
    m = re.match(r"^(\d+)\s+<\.\.\. (\w+) resumed>(.*)$", raw)
    if m:  # join "<unfinished ...>" halves
        pid, name, rest = m.groups()
        head = pending.pop((pid, name), "")
        calls.append((int(pid), name, head + rest))
        continue
    m = line_re.match(raw)
    if not m:
        continue
    pid, name, rest = m.groups()
    if rest.endswith("<unfinished ...>"):
        pending[(pid, name)] = rest[: -len("<unfinished ...>")]
        continue
    calls.append((int(pid), name, rest))

for pid, name, rest in calls:
    pids.add(pid)
    if name in ("clone", "clone3", "fork", "vfork"):
        m = re.search(r"= (\d+)\s*$", rest)
        if m:
            pids.add(int(m.group(1)))

bad, writes, proc_mem, remote, execs = [], 0, 0, 0, 0
nb_exec_seen = False
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND")


def path_ok(path):
    if path.startswith(resdir) or path == resdir.rstrip("/") or path == "/dev/null":
        return True
    m = re.match(r"^/proc/(\d+)/mem$", path)
    return bool(m) and int(m.group(1)) in pids


for pid, name, rest in calls:
    strs = re.findall(r'"((?:[^"\\]|\\.)*)"', rest)
    if name == "execve":
        if nb_exec_seen:
            bad.append(f"exec after numabench started: {pid} execve({rest}")
        if strs and strs[0].rsplit("/", 1)[-1].startswith("numabench") and "= 0" in rest:
            nb_exec_seen = True
        execs += 1
        continue
    if name in ("open", "openat", "creat", "openat2"):
        if not strs:
            continue
        path = strs[0]
        if re.match(r"^/proc/\d+/mem$", path):
            proc_mem += 1
            if int(path.split("/")[2]) not in pids:
                bad.append(f"/proc/PID/mem of a process not of the run: {pid} {name}({rest}")
        if name == "creat" or any(f in rest for f in WRITE_FLAGS):
            writes += 1
            if not path_ok(path):
                bad.append(f"write outside {resdir}: {pid} {name}({rest}")
    elif name in ("mkdir", "mkdirat", "rename", "renameat", "renameat2", "unlink", "unlinkat",
                  "link", "linkat", "symlink", "symlinkat", "truncate", "rmdir", "mknod",
                  "mknodat", "chmod", "fchmodat", "chown", "fchownat"):
        writes += 1
        for path in strs:
            if not path_ok(path):
                bad.append(f"write outside {resdir}: {pid} {name}({rest}")
                break
    elif name in ("process_vm_readv", "process_vm_writev", "ptrace"):
        remote += 1
        nums = re.findall(r"(?:^|, )(\d+)", rest)
        if name == "ptrace":
            # ptrace(PTRACE_X, PID, ...): the second argument
            m = re.match(r"^\w+, (\d+)", rest)
            target = int(m.group(1)) if m else None
        else:
            target = int(nums[0]) if nums else None
        if target is not None and target not in pids:
            bad.append(f"{name} on a process not of the run: {pid} {name}({rest}")

if not nb_exec_seen:
    bad.append("numabench was never exec'd in this trace")
for b in bad[:20]:
    print("VIOLATION", b)
print(f"{len(pids)} processes, {writes} writing calls, {proc_mem} /proc/PID/mem opens, "
      f"{remote} ptrace/process_vm calls, {len(bad)} violations")
sys.exit(1 if bad else 0)
