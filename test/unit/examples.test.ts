import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface WorkflowNode {
	name: string;
	type: string;
	position: [number, number];
	parameters: { width?: number; height?: number };
}
interface Box {
	name: string;
	x: number;
	y: number;
	w: number;
	h: number;
}

const EXAMPLES = join(__dirname, '../../examples');
/** n8n draws a node as a 100 × 100 square from its position (the canvas of 1.x and 2.x). */
const NODE_SIZE = 100;
/** n8n's default sticky note size, for notes that keep it. */
const NOTE_DEFAULT = { w: 240, h: 160 };

const overlap = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe.each(readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')))('example %s', (file) => {
	const nodes = (JSON.parse(readFileSync(join(EXAMPLES, file), 'utf8')) as { nodes: WorkflowNode[] }).nodes;
	const box = (n: WorkflowNode, w: number, h: number): Box => ({ name: n.name, x: n.position[0], y: n.position[1], w, h });
	const notes = nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote').map((n) => box(n, n.parameters.width ?? NOTE_DEFAULT.w, n.parameters.height ?? NOTE_DEFAULT.h));
	const others = nodes.filter((n) => n.type !== 'n8n-nodes-base.stickyNote').map((n) => box(n, NODE_SIZE, NODE_SIZE));

	it('has sticky notes that cover no node and no other note', () => {
		const clashes: string[] = [];
		notes.forEach((note, i) => {
			for (const other of [...notes.slice(i + 1), ...others]) if (overlap(note, other)) clashes.push(`"${note.name}" overlaps "${other.name}"`);
		});
		expect(clashes).toEqual([]);
	});
});
