// Echo server on Node's net module.
// Usage: node echo_node.js PORT     (listens on 127.0.0.1:PORT)
'use strict';
const net = require('net');

const port = parseInt(process.argv[2], 10);
const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  sock.on('data', (data) => sock.write(data));
  sock.on('error', () => sock.destroy());
});
server.listen({ host: '127.0.0.1', port, backlog: 1024 });
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
