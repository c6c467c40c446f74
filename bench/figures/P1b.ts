import { batchWall } from '../lib/batchWall';

void batchWall('P1b', 10).then(() => process.exit(0));
