import os from 'node:os';

/** Where a figure was measured: it means little without this. */
export function machine(): { cpus: number; cpu: string; node: string; memory: string } {
  return {
    cpus: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(0)} GB`,
  };
}

export const machineLine = () => {
  const m = machine();
  return `${m.cpus} × ${m.cpu}, ${m.memory} RAM, Node ${m.node}, ${os.type()} ${os.release()}`;
};
