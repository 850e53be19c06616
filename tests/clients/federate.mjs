// A federated query through Comunica over a SPARQL endpoint and a local Turtle file, for
// tests/test_sparql_clients.py. Prints the rows as JSON: [{variable: value, ...}, ...].
// Usage: node federate.mjs <endpoint URL> <Turtle file> <SELECT query>
// Every fetch Comunica makes must go to 127.0.0.1 (or localhost); any other host is refused
// and reported, so the test cannot reach outside the machine.
import { readFileSync } from 'node:fs';
import { QueryEngine } from '@comunica/query-sparql';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const nativeFetch = globalThis.fetch;

function target(input) {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

async function loopbackFetch(input, init) {
  const url = new URL(target(input));
  if (!LOOPBACK.has(url.hostname)) {
    throw new Error(`refused a fetch outside 127.0.0.1: ${url.href}`);
  }
  return nativeFetch(input, init);
}
globalThis.fetch = loopbackFetch;

const [endpoint, turtleFile, query] = process.argv.slice(2);
const engine = new QueryEngine();
const bindings = await engine.queryBindings(query, {
  sources: [
    { type: 'sparql', value: endpoint },
    {
      type: 'serialized',
      value: readFileSync(turtleFile, 'utf8'),
      mediaType: 'text/turtle',
      baseIRI: 'http://127.0.0.1/local.ttl',
    },
  ],
  fetch: loopbackFetch,
  lenient: false,
});
const rows = (await bindings.toArray()).map((row) =>
  Object.fromEntries([...row].map(([variable, term]) => [variable.value, term.value])),
);
process.stdout.write(JSON.stringify(rows) + '\n');
