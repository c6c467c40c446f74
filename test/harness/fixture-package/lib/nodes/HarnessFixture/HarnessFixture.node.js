'use strict';
Object.defineProperty(exports, '__esModule', { value: true });
exports.HarnessFixture = void 0;
const { Readable } = require('node:stream');
const { NodeConnectionTypes, NodeOperationError, sleep } = require('n8n-workflow');

/**
 * Test-only node for the engine harness self-test. Operations:
 *  echo    - returns input json (+ echoed: true) with pairedItem
 *  request - GET `url` via httpRequestWithAuthentication with the credential type `credentialType`
 *  binary  - reads input binary `data`, writes uppercased copy as binary `out` from a stream
 *  loop    - sleeps in slices until the execution cancel signal is aborted (or maxIterations)
 *  throw   - throws a NodeOperationError for item `failAtIndex`
 */
class HarnessFixture {
	constructor() {
		this.description = {
			displayName: 'Harness Fixture',
			name: 'harnessFixture',
			icon: 'file:harnessFixture.svg',
			group: ['transform'],
			version: 1,
			description: 'Harness self-test node',
			defaults: { name: 'Harness Fixture' },
			inputs: [NodeConnectionTypes.Main],
			outputs: [NodeConnectionTypes.Main],
			credentials: [
				{ name: 'fixtureFnApi', required: false },
				{ name: 'fixtureHeaderApi', required: false },
				{ name: 'fixtureTokenApi', required: false },
			],
			properties: [
				{
					displayName: 'Operation',
					name: 'operation',
					type: 'options',
					noDataExpression: true,
					options: [
						{ name: 'Echo', value: 'echo' },
						{ name: 'Request', value: 'request' },
						{ name: 'Binary', value: 'binary' },
						{ name: 'Loop', value: 'loop' },
						{ name: 'Throw', value: 'throw' },
					],
					default: 'echo',
				},
				{ displayName: 'Credential Type', name: 'credentialType', type: 'string', default: '' },
				{ displayName: 'URL', name: 'url', type: 'string', default: '' },
				{ displayName: 'Max Iterations', name: 'maxIterations', type: 'number', default: 500 },
				{ displayName: 'Fail At Index', name: 'failAtIndex', type: 'number', default: 0 },
			],
		};
	}

	async execute() {
		const items = this.getInputData();
		const operation = this.getNodeParameter('operation', 0);
		const out = [];
		for (let i = 0; i < items.length; i++) {
			if (operation === 'echo') {
				out.push({ json: { ...items[i].json, echoed: true }, pairedItem: { item: i } });
			} else if (operation === 'request') {
				const credentialType = this.getNodeParameter('credentialType', i);
				const url = this.getNodeParameter('url', i);
				const response = await this.helpers.httpRequestWithAuthentication.call(this, credentialType, {
					method: 'GET',
					url,
					json: true,
				});
				out.push({ json: response, pairedItem: { item: i } });
			} else if (operation === 'binary') {
				this.helpers.assertBinaryData(i, 'data');
				const input = await this.helpers.getBinaryDataBuffer(i, 'data');
				const text = input.toString('utf8');
				const stream = Readable.from([Buffer.from(text.toUpperCase(), 'utf8'), Buffer.from('!', 'utf8')]);
				const binary = await this.helpers.prepareBinaryData(stream, 'out.txt', 'text/plain');
				out.push({
					json: { inputText: text, inputLength: input.length, inputMode: items[i].binary.data.id ? 'id' : 'inline' },
					binary: { out: binary },
					pairedItem: { item: i },
				});
			} else if (operation === 'loop') {
				const maxIterations = this.getNodeParameter('maxIterations', i);
				const signal = this.getExecutionCancelSignal();
				let n = 0;
				while (n < maxIterations && !(signal && signal.aborted)) {
					n++;
					if (n === 1) this.logger.info('fixture loop started', { item: i });
					await sleep(20);
				}
				const aborted = Boolean(signal && signal.aborted);
				this.logger.info(`fixture loop finished (aborted=${aborted})`, { iterations: n, aborted });
				out.push({ json: { iterations: n, aborted }, pairedItem: { item: i } });
			} else if (operation === 'throw') {
				const failAtIndex = this.getNodeParameter('failAtIndex', i);
				if (i === failAtIndex) {
					throw new NodeOperationError(this.getNode(), `Fixture failure at item ${i}`, {
						itemIndex: i,
						description: 'The fixture node was asked to fail',
					});
				}
				out.push({ json: items[i].json, pairedItem: { item: i } });
			}
		}
		return [out];
	}
}
exports.HarnessFixture = HarnessFixture;
