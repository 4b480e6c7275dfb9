// A real OpenID Connect provider for the single sign-on tests: oidc-provider with one client.
// Usage: node provider.mjs <port> <redirect URI>
// Any login signs in; the login is the account's email address, verified unless it starts
// with "unverified". Prints "ready" once it listens.
import Provider from "oidc-provider";

const [port, redirect] = process.argv.slice(2);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: "slotline",
    client_secret: "test-client-secret",
    redirect_uris: [redirect],
    grant_types: ["authorization_code"],
    response_types: ["code"],
  }],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: !id.startsWith("unverified"), name: id };
      },
    };
  },
});
provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
