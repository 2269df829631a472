// Preloaded (`node --require`) into child processes of the local stack such as cognito-local: their stdin is
// a pipe from the parent, which the OS closes when the parent exits in any way (kill -9 included), so the
// child exits with it instead of living on as an orphan.
'use strict';
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
