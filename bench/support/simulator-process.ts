// Runs the simulator in its own process for benchmarks, so its memory is not counted as the sync's.
// argv: users posts interactions [seed]; prints one JSON line {"url": …} once listening.
import { startSimulator } from '../../src/simulator/index.js';

const [users, posts, interactions, seed] = process.argv.slice(2).map(Number);
const simulator = await startSimulator({
  generate: { users, posts, interactions, seed: seed || 42 },
  token: process.env.FLIC_TOKEN ?? 'bench-token',
});
process.stdout.write(`${JSON.stringify({ url: simulator.url, counts: simulator.counts() })}\n`);
const stop = async () => {
  await simulator.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
