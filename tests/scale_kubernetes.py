#!/usr/bin/env python3
"""scale_kubernetes.py: deploy/kubernetes/ runs here as the cluster would run it.

The Indexed Job of sweep-job.yaml (completionMode Indexed, completions N,
parallelism N) is run on this machine: its container's `command`, with
$(JOB_COMPLETION_INDEX) expanded the way Kubernetes expands it for each index
0..N-1, N processes at once, in a folder that stands for the image's
workingDir (it holds scenarios/), the volume's mountPath /shards mapped to a
folder there.  Then merge-job.yaml's command.  The merged folder must equal,
file for file and byte for byte, the folder of the same sweep run as one
process (the Job's command without --shard, with the merge's folder as
--out).  Sizes are bounded: the sweep runs 300 clients per run.

The YAML is read without PyYAML: the few keys the test needs are single
lines, and `command` is a flow sequence of double-quoted strings, which is
JSON.

    scale_kubernetes.py GOLDPATH REPO_DIR
"""
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

GOLDPATH, REPO = sys.argv[1], sys.argv[2]
DEPLOY = os.path.join(REPO, "deploy", "kubernetes")


def fail(msg):
    print("scale_kubernetes: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def key(text, name):
    m = re.search(r"^\s*%s:\s*(.+?)\s*(#.*)?$" % re.escape(name), text, flags=re.M)
    if not m:
        fail("no %s: in the YAML" % name)
    return m.group(1).strip('"')


def command(text):
    m = re.search(r"^\s*command:\s*(\[.*\])\s*$", text, flags=re.M)
    if not m:
        fail("no one-line command: [...] in the YAML")
    return json.loads(m.group(1))


def expand(word, env):
    """Kubernetes' $(VAR) expansion in command and args ($$ escapes)."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
                  word)


def local(words, mount):
    """The container's words on this machine: goldpath from the build, the
    volume's mountPath a folder in the working folder."""
    out = []
    for w in words:
        if w == "goldpath":
            w = GOLDPATH
        elif w == mount or w.startswith(mount + "/"):
            w = "shards" + w[len(mount):]
        out.append(w)
    return out


def bounded(words):
    """At most 300 clients per run (the same for the shards and the whole)."""
    if "--clients" in words:
        i = words.index("--clients")
        return words[:i + 1] + [str(min(int(words[i + 1]), 300))] + words[i + 2:]
    return words[:2] + ["--clients", "300"] + words[2:]


def tree(d):
    files = []
    for root, _, names in os.walk(d):
        files += [os.path.relpath(os.path.join(root, n), d) for n in names]
    return sorted(files)


def main():
    job = open(os.path.join(DEPLOY, "sweep-job.yaml")).read()
    merge = open(os.path.join(DEPLOY, "merge-job.yaml")).read()
    if key(job, "completionMode") != "Indexed":
        fail("sweep-job.yaml is not an Indexed Job")
    n = int(key(job, "completions"))
    if int(key(job, "parallelism")) != n or n < 2:
        fail("completions and parallelism differ, or fewer than 2 shards")
    mount = key(job, "mountPath")
    if key(merge, "mountPath") != mount:
        fail("the two Jobs mount the volume at different paths")
    sweep = bounded(command(job))
    merge_cmd = command(merge)
    if sweep[:2] != ["goldpath", "sweep"] or merge_cmd[:2] != ["goldpath", "merge"]:
        fail("the Jobs do not run goldpath sweep and goldpath merge")
    i = sweep.index("--shard")
    if sweep[i + 1] != "$(JOB_COMPLETION_INDEX)/%d" % n:
        fail("--shard is %s, not $(JOB_COMPLETION_INDEX)/%d" % (sweep[i + 1], n))
    if merge_cmd[3:] != ["%s/%d" % (mount, k) for k in range(n)]:
        fail("merge-job.yaml does not merge %s/0 .. %s/%d" % (mount, mount, n - 1))

    work = tempfile.mkdtemp(prefix="gp-scale-k8s-")
    try:
        scenarios = os.path.join(REPO, "scenarios")
        cluster, one = os.path.join(work, "cluster"), os.path.join(work, "one")
        for d in (cluster, one):
            os.makedirs(os.path.join(d, "shards"))
            os.symlink(scenarios, os.path.join(d, "scenarios"))
        pods = []
        for k in range(n):
            env = dict(os.environ, JOB_COMPLETION_INDEX=str(k))
            words = local([expand(w, env) for w in sweep], mount)
            pods.append((k, subprocess.Popen(words, cwd=cluster, env=env, stdout=subprocess.PIPE,
                                             stderr=subprocess.STDOUT, text=True)))
        for k, p in pods:
            out = p.communicate(timeout=900)[0]
            if p.returncode != 0:
                fail("shard %d exited %d:\n%s" % (k, p.returncode, out))
        p = subprocess.run(local(merge_cmd, mount), cwd=cluster, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=600)
        if p.returncode != 0:
            fail("the merge exited %d:\n%s" % (p.returncode, p.stdout))
        merged_out = local(merge_cmd, mount)[2]

        # the same sweep as one process: no --shard, the merge's folder as --out
        whole = sweep[:i] + sweep[i + 2:]
        o = whole.index("--out")
        whole[o + 1] = merge_cmd[2]
        p = subprocess.run(local(whole, mount), cwd=one, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=900)
        if p.returncode != 0:
            fail("the unsharded sweep exited %d:\n%s" % (p.returncode, p.stdout))

        a, b = os.path.join(cluster, merged_out), os.path.join(one, merged_out)
        if tree(a) != tree(b):
            fail("the merged folder has other files: %s vs %s" % (tree(a), tree(b)))
        differ = [f for f in tree(a)
                  if not filecmp.cmp(os.path.join(a, f), os.path.join(b, f), shallow=False)]
        if differ:
            fail("merged and unsharded differ in %s" % differ)
        if not os.path.exists(os.path.join(a, "sweep.csv")):
            fail("no sweep.csv in the merged folder")
        rows = len(open(os.path.join(a, "sweep.csv")).read().splitlines()) - 1
        print("scale_kubernetes: %d shards of %d runs, merged: %d files identical to the "
              "sweep run whole" % (n, rows, len(tree(a))))
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
