/**
 * Loaded with `--import` into every process the chaos run starts (server, sandbox). If the chaos
 * run itself dies without cleaning up (SIGKILL, a crashed test runner), its children notice that
 * their parent is gone and exit, instead of holding ports and files forever. It changes nothing
 * else in the process; a SIGKILL of the child kills the guard with it.
 */
const parentPid = Number(process.env.CHAOS_PARENT_PID ?? process.ppid);
const originalPpid = process.ppid;

function parentAlive(): boolean {
  if (process.ppid !== originalPpid) return false; // re-parented: our parent exited
  try {
    process.kill(parentPid, 0);
    return true;
  } catch {
    return false;
  }
}

const timer = setInterval(() => {
  if (!parentAlive()) {
    process.stderr.write(`[orphan-guard] chaos parent ${parentPid} is gone; exiting\n`);
    process.exit(70);
  }
}, 500);
timer.unref();
