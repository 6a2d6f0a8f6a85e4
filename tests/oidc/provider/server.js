// A real OpenID Connect provider for Studio's sign-in tests: panva's certified oidc-provider
// with a throwaway signing key, open dynamic client registration (each test registers its own
// redirect URIs) and a one-field sign-in page. Accounts and their claims are read from the
// JSON file named by OIDC_ACCOUNTS at every sign-in, so a test changes someone's groups
// between two sign-ins by rewriting it. Listens on 127.0.0.1:$PORT only; no network.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 0);
const issuer = `http://127.0.0.1:${port}`;
const accountsFile = process.env.OIDC_ACCOUNTS;

function accounts() {
  return JSON.parse(readFileSync(accountsFile, 'utf8'));
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

const configuration = {
  jwks: { keys: [jwk] },
  cookies: { keys: ['studio-test-provider-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  // Every authorization request must carry a PKCE challenge: a client that forgot it fails.
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accounts()[sub];
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, ...account };
      },
    };
  },
  ttl: { Session: 3600, Interaction: 600, Grant: 3600 },
};

const provider = new Provider(issuer, configuration);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function grantEverything(details) {
  const { prompt, params, session, grantId } = details;
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

// The sign-in page (GET /interaction/<uid>) and its form (POST /interaction/<uid>/login);
// consent is given at once, as a company's provider does for its own applications.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  let result;
  if (ctx.method === 'POST' && match[2]) {
    const login = (await formBody(ctx.req)).get('login') || '';
    if (!accounts()[login]) {
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = page('Sign in', `<p role="alert">Unknown account ${login.replace(/[^\w.-]/g, '')}</p>`);
      return undefined;
    }
    result = { login: { accountId: login } };
  } else if (details.prompt.name === 'consent') {
    result = await grantEverything(details);
  } else {
    ctx.type = 'html';
    ctx.body = page(
      'Sign in to the test provider',
      `<form method="post" action="/interaction/${details.uid}/login">
        <label for="login">Account</label> <input id="login" name="login" autofocus>
        <button type="submit">Sign in</button></form>`,
    );
    return undefined;
  }
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: false,
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
  return undefined;
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// The test session holds our stdin: when it ends (even killed, with no teardown), so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
