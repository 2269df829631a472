// Preloaded (`node --require`) into the Lambda runtime interface client (aws-lambda-ric, the client Lambda's
// Node.js runtimes are built from) when the bench times a cold init. Plain CommonJS on purpose: it must run before
// the client's own modules. It does two things, and nothing else of the client is changed:
//  1. The client loads its native Runtime API binding (rapid-client.node, built from C++ and curl at install,
//     which the bench does not build). With AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1=true the client fetches
//     events over node:http instead and leaves the binding unused, so an empty object stands in for it.
//  2. Lambda's init phase ends when the runtime asks for its first event (GET /runtime/invocation/next). At that
//     request the process's time since its start, its CPU time and RSS are printed as one JSON line and the
//     process exits: everything the runtime and the function do before their first invoke has run, nothing after.
//     An init error (POST /runtime/init/error, after the client has logged it) exits non-zero.
const Module = require('node:module');
const http = require('node:http');
const path = require('node:path');

const loadNative = Module._extensions['.node'];
Module._extensions['.node'] = function load(module, filename) {
  if (path.basename(filename) === 'rapid-client.node') {
    module.exports = {};
    return;
  }
  return loadNative.call(this, module, filename);
};

const request = http.request;
http.request = function timedRequest(options, ...rest) {
  const target = typeof options === 'object' && options !== null ? String(options.path) : String(options);
  if (target.endsWith('/runtime/invocation/next')) {
    const initMs = performance.now();
    const cpu = process.cpuUsage();
    process.stdout.write(
      `${JSON.stringify({ initMs, cpuMs: (cpu.user + cpu.system) / 1000, rssBytes: process.memoryUsage().rss })}\n`,
    );
    process.exit(0);
  }
  if (target.endsWith('/runtime/init/error')) process.exit(3);
  return request.call(this, options, ...rest);
};
