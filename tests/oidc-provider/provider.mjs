// A local OpenID Connect provider for the console's browser tests: oidc-provider's own login and
// consent pages (any login name, any password), one confidential client, code flow with PKCE.
//
// Environment:
//   CLIENT_ID, CLIENT_SECRET  the client SendGate is configured with
//   REDIRECT_URIS             space-separated callback URLs (port ignored: a native client on loopback, RFC 8252)
//   EMAIL_DOMAIN              a login "sato" signs in as sato@EMAIL_DOMAIN (claim "email")
//   USERINFO_ONLY_CLAIM       optional: one more claim with that address, given by the userinfo endpoint
//                             only, never in the ID token (as providers that keep the token small do)
// Prints OIDC_ISSUER=<issuer> once it listens on a free port of 127.0.0.1.
import http from 'node:http';
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
  return value;
};

const clientId = env('CLIENT_ID');
const clientSecret = env('CLIENT_SECRET');
const redirectUris = env('REDIRECT_URIS').split(' ').filter(Boolean);
const emailDomain = env('EMAIL_DOMAIN');
const userinfoOnly = process.env.USERINFO_ONLY_CLAIM || null;

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: redirectUris,
    }],
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified', ...(userinfoOnly ? [userinfoOnly] : [])], profile: ['name'] },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        // use: 'id_token' or 'userinfo'. Each answer's claim names are printed for the tests to check.
        async claims(use) {
          const claims = { sub: id, email: `${id}@${emailDomain}`, email_verified: true, name: id };
          if (userinfoOnly && use === 'userinfo') {
            claims[userinfoOnly] = `${id}@${emailDomain}`;
          }
          console.log(`CLAIMS ${use} ${Object.keys(claims).join(' ')}`);
          return claims;
        },
      };
    },
  });
  server.on('request', provider.callback());
  console.log(`OIDC_ISSUER=${issuer}`);
});

// The test kills the process; a closed stdin (the test host gone) ends it too.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
