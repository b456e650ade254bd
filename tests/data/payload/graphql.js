// GraphQL over WebSocket (graphql-ws 5, subprotocol graphql-transport-ws) on 127.0.0.1: a server
// (graphql-ws's `useServer` on Node `ws`, a schema with a query and a subscription) and its
// client: connection_init/ack, a query, a subscription that yields three greetings, complete.
// Stops by itself (5 s at most).
const port = Number(process.argv[2]);
const { WebSocketServer, WebSocket } = require('ws');
const { useServer } = require('graphql-ws/lib/use/ws');
const { createClient } = require('graphql-ws');
const { GraphQLSchema, GraphQLObjectType, GraphQLString } = require('graphql');

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      greetings: {
        type: GraphQLString,
        subscribe: async function* () {
          for (const hi of ['Hi', 'Bonjour', 'Hola']) yield { greetings: hi };
        },
      },
    },
  }),
});

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
const server = useServer({ schema }, wss);
const timer = setTimeout(() => process.exit(1), 5000);
const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, lazy: true });

async function run() {
  const got = [];
  await new Promise((resolve, reject) => {
    client.subscribe({ query: '{ hello }' }, { next: (v) => got.push(v), error: reject, complete: resolve });
  });
  await new Promise((resolve, reject) => {
    client.subscribe(
      { query: 'subscription Greetings { greetings }', operationName: 'Greetings' },
      { next: (v) => got.push(v), error: reject, complete: resolve },
    );
  });
  console.log(JSON.stringify(got));
  await client.dispose();
  await server.dispose();
  wss.close(() => { clearTimeout(timer); process.exit(0); });
}
run().catch((e) => { console.error(e); process.exit(1); });
