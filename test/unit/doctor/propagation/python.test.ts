// The propagation check on Python services: requests, httpx (and its clients), urllib.request, in
// Flask, FastAPI and http.server handlers; what it accepts as forwarding, what it flags, and
// that each fix is valid Python that the check then accepts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outboundCalls } from '../../../../src/doctor/propagation/index';
import { fixAll, pythonSyntaxErrors, said } from './check';

const flaskMissing = `
import requests
from flask import Flask, request
app = Flask(__name__)

@app.get("/products")
def products():
    r = requests.get(f"{RATINGS}/ratings", timeout=5)
    return r.json()
`;

const flaskForwards = `
import requests
from flask import Flask, request

@app.get("/products")
def products():
    headers = {"x-devlane-route": request.headers.get("x-devlane-route", ""), "baggage": request.headers.get("baggage", "")}
    return requests.post(RATINGS, json={}, headers=headers).json()
`;

const flaskBehindSetting = `
import requests
from flask import request

@app.get("/products")
def products():
    headers = {"x-devlane-route": request.headers["x-devlane-route"]} if settings.FORWARD_ROUTE else {}
    return requests.get(RATINGS, headers=headers).json()
`;

const fastapiClient = `
import httpx
from fastapi import FastAPI, Request

@app.get("/products")
async def products(request: Request):
    async with httpx.AsyncClient() as client:
        r = await client.get(f"{RATINGS}/ratings", timeout=5)
    return r.json()
`;

const fastapiPresenceCheck = `
import httpx

@app.get("/products")
async def products(request: Request):
    headers = {}
    for h in ("x-devlane-route", "baggage"):
        if h in request.headers:
            headers[h] = request.headers[h]
    return httpx.get(RATINGS, headers=headers).json()
`;

const handlerUrlopen = `
import urllib.request
from http.server import BaseHTTPRequestHandler

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        with urllib.request.urlopen(RATINGS + "/ratings", timeout=5) as res:
            body = res.read()
        self.send_response(200)
`;

const handlerAddHeader = `
from urllib.request import Request, urlopen
from http.server import BaseHTTPRequestHandler

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        req = Request(RATINGS)
        req.add_header("baggage", self.headers.get("baggage", ""))
        with urlopen(req) as res:
            self.wfile.write(res.read())
`;

const otelInject = `
import requests
from opentelemetry.propagate import inject

@app.route("/products")
def products():
    headers = {}
    inject(headers)
    return requests.get(RATINGS, headers=headers).json()
`;

const sessionAndStartup = `
import requests
session = requests.Session()
WARM = requests.get(CONFIG_URL)

def warm_cache():
    return session.get(CONFIG_URL).json()

@app.route("/products")
def products():
    return session.post(RATINGS, json={"ids": [1, 2]}).json()
`;

const copyAll = `
import requests
from http.server import BaseHTTPRequestHandler

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        requests.get(RATINGS, headers=dict(self.headers))
`;

const otelInstrumented = `
import requests
from opentelemetry.propagate import inject

@app.route("/products")
def products():
    return requests.get(RATINGS, timeout=5).json()
`;

describe('propagation check, Python', () => {
  it('flags a requests call in a Flask view that passes no headers, and fixes it from flask.request', () => {
    assert.deepEqual(said(flaskMissing, 'python'), [
      { callee: 'requests.get', kind: 'missing', inRequest: true, fixable: true },
    ]);
  });

  it('accepts explicit forwarding of both route headers from the incoming request', () => {
    assert.deepEqual(
      said(flaskForwards, 'python').map((s) => s.kind),
      ['forwards'],
    );
  });

  it('calls forwarding behind a setting conditional, not unconditional', () => {
    assert.deepEqual(
      said(flaskBehindSetting, 'python').map((s) => s.kind),
      ['conditional'],
    );
  });

  it('flags an httpx AsyncClient call in a FastAPI handler, with the Request parameter as the source', () => {
    assert.deepEqual(said(fastapiClient, 'python'), [
      { callee: 'client.get', kind: 'missing', inRequest: true, fixable: true },
    ]);
  });

  it('accepts a test of whether the incoming request has the header (that is no setting)', () => {
    assert.deepEqual(
      said(fastapiPresenceCheck, 'python').map((s) => s.kind),
      ['forwards'],
    );
  });

  it('flags urlopen of a bare URL in an http.server handler, and fixes it by building a Request', () => {
    assert.deepEqual(said(handlerUrlopen, 'python'), [
      { callee: 'urllib.request.urlopen', kind: 'missing', inRequest: true, fixable: true },
    ]);
  });

  it('accepts a Request given the header by add_header, and does not report its urlopen again', () => {
    assert.deepEqual(said(handlerAddHeader, 'python'), [
      { callee: 'Request', kind: 'forwards', inRequest: true, fixable: false },
    ]);
  });

  it("accepts OpenTelemetry's inject into the headers", () => {
    assert.deepEqual(
      said(otelInject, 'python').map((s) => s.kind),
      ['forwards'],
    );
  });

  it('skips module-level calls, and tells a route view from a function with no request in reach', () => {
    // The view does not import flask.request, so there is no incoming request to forward from.
    assert.deepEqual(said(sessionAndStartup, 'python'), [
      { callee: 'session.get', kind: 'missing', inRequest: false, fixable: false },
      { callee: 'session.post', kind: 'missing', inRequest: true, fixable: false },
    ]);
  });

  it('accepts passing all incoming headers on', () => {
    assert.deepEqual(
      said(copyAll, 'python').map((s) => s.kind),
      ['forwards'],
    );
  });

  it('fixes every flagged call into valid Python that the check then accepts', () => {
    for (const src of [flaskMissing, flaskBehindSetting, fastapiClient, handlerUrlopen]) {
      const fixed = fixAll(src, 'python');
      assert.notEqual(fixed, src);
      assert.equal(pythonSyntaxErrors(fixed), '', fixed);
      const left = said(fixed, 'python').filter((s) => s.kind !== 'forwards' && s.inRequest);
      assert.deepEqual(left, [], fixed);
    }
  });

  it("offers OpenTelemetry's propagators where the file imports inject, as valid Python the check accepts", () => {
    const [call] = outboundCalls(otelInstrumented, 'python');
    assert.equal(call.forwarding.kind, 'missing');
    assert.ok(
      call.otelFix && !call.fix,
      'no incoming request in reach for explicit forwarding, but OpenTelemetry is there',
    );
    const fixed = fixAll(otelInstrumented, 'python', 'otelFix');
    assert.match(
      fixed,
      /requests\.get\(RATINGS, timeout=5, headers=\(lambda carrier: inject\(carrier\) or carrier\)\(\{\}\)\)/,
    );
    assert.equal(pythonSyntaxErrors(fixed), '');
    assert.deepEqual(
      outboundCalls(fixed, 'python').map((c) => c.forwarding),
      [{ kind: 'forwards', how: 'otel' }],
    );
  });
});
