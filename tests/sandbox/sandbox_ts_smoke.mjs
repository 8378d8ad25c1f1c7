// TypeScript-SDK smoke test against a running sandbox: node sandbox_ts_smoke.mjs <url> <key>
// Prints one JSON line with what it saw; the pytest wrapper asserts on it.
import Anthropic from '@anthropic-ai/sdk';

const [url, key] = process.argv.slice(2);
const client = new Anthropic({ apiKey: key, baseURL: url, maxRetries: 0 });
const out = {};
const users = [];
for await (const user of client.organization.users.list({ limit: 5 })) users.push(user.email);
out.users = users;
const groups = [];
for await (const group of client.organization.rbacGroups.list({ limit: 3 })) groups.push(group.name);
out.groups = groups;
const invite = await client.organization.invites.create({ email: 'sam.obi@acme.example', role: 'user' });
out.invite = invite.status;
try {
  await client.organization.invites.create({ email: 'sam.obi@acme.example', role: 'user' });
  out.duplicate = 'accepted';
} catch (err) {
  out.duplicate = { status: err.status, code: err.errorCode ?? null, name: err.constructor.name };
}
out.deleted = (await client.organization.invites.delete(invite.id)).type;
console.log(JSON.stringify(out));
