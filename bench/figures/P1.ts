import { batchWall } from '../lib/batchWall';

void batchWall('P1', 50).then(() => process.exit(0));
