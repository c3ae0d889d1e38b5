/**
 * A fresh Node process for one measurement (see child.ts): it receives a module, the name of
 * an exported async function and its argument over IPC, runs it, and sends back the result and
 * the process's peak RSS. A fresh process means the figure's memory and its JIT are its own.
 */
interface Request {
  moduleUrl: string;
  exportName: string;
  args: unknown;
}

process.once('message', (raw) => {
  const { moduleUrl, exportName, args } = raw as Request;
  void (async () => {
    try {
      const mod = (await import(moduleUrl)) as Record<string, unknown>;
      const fn = mod[exportName];
      if (typeof fn !== 'function') throw new Error(`${moduleUrl} has no export ${exportName}`);
      const result: unknown = await (fn as (a: unknown) => unknown)(args);
      // ru_maxrss is in kilobytes on Linux: the kernel's high-water mark for this process.
      process.send?.({ ok: true, result, maxRssMb: process.resourceUsage().maxRSS / 1024 }, () => process.exit(0));
    } catch (err) {
      process.send?.({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }, () => process.exit(1));
    }
  })();
});
// The parent went away (killed, interrupted): so do we.
process.once('disconnect', () => process.exit(1));
