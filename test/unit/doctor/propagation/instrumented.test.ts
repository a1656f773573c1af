// Calls of client libraries OpenTelemetry instruments in the service pass the W3C baggage on with
// no code at the call: the setup is read from the same file or from another file of the service.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instrumentedLibraries, outboundCalls } from '../../../../src/doctor/propagation/index';

const telemetryPy = `
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.flask import FlaskInstrumentor
RequestsInstrumentor().instrument()
`;

const viewsPy = `
import httpx, requests
from flask import request

@app.get("/products")
def products():
    stock = httpx.get(STOCK).json()
    return requests.get(RATINGS).json()
`;

const tracingJs = `
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');
new NodeSDK({ instrumentations: [getNodeAutoInstrumentations()] }).start();
`;

const serverJs = `
const axios = require('axios');
app.get('/products', async (req, res) => {
  res.json({ a: (await axios.get(A)).data, b: await (await fetch(B)).json() });
});
`;

const kinds = (calls: ReturnType<typeof outboundCalls>) => calls.map((c) => [c.callee, c.forwarding.kind]);

describe('propagation check with OpenTelemetry instrumentation', () => {
  it("reads which libraries a service's telemetry setup instruments", () => {
    assert.deepEqual(instrumentedLibraries(telemetryPy, 'python'), ['requests']);
    assert.deepEqual(instrumentedLibraries(tracingJs, 'javascript').sort(), ['axios', 'fetch', 'http', 'https']);
    assert.deepEqual(instrumentedLibraries(viewsPy, 'python'), []);
    // A Python instrumentor named in a JavaScript file instruments nothing there.
    assert.deepEqual(instrumentedLibraries('// RequestsInstrumentor', 'javascript'), []);
  });

  it('accepts calls of the instrumented library only, with the setup in another file', () => {
    assert.deepEqual(kinds(outboundCalls(viewsPy, 'python')), [
      ['httpx.get', 'missing'],
      ['requests.get', 'missing'],
    ]);
    const instrumented = instrumentedLibraries(telemetryPy, 'python');
    assert.deepEqual(kinds(outboundCalls(viewsPy, 'python', instrumented)), [
      ['httpx.get', 'missing'],
      ['requests.get', 'forwards'],
    ]);
  });

  it("accepts axios and fetch where Node's auto-instrumentations are set up", () => {
    assert.deepEqual(kinds(outboundCalls(serverJs, 'javascript')), [
      ['axios.get', 'missing'],
      ['fetch', 'missing'],
    ]);
    const instrumented = instrumentedLibraries(tracingJs, 'javascript');
    assert.deepEqual(kinds(outboundCalls(serverJs, 'javascript', instrumented)), [
      ['axios.get', 'forwards'],
      ['fetch', 'forwards'],
    ]);
  });

  it('reads the setup in the file itself too', () => {
    const oneFile = `${telemetryPy}\n${viewsPy}`;
    assert.deepEqual(kinds(outboundCalls(oneFile, 'python')), [
      ['httpx.get', 'missing'],
      ['requests.get', 'forwards'],
    ]);
  });
});
