// Microsoft's Azure SDK for JavaScript (@azure/arm-apimanagement) managing a Tollgate instance as a user of Azure API
// Management would, given only the management endpoint and a credential. The credential is an ordinary
// TokenCredential returning a Tollgate SharedAccessSignature, sent by the SDK as "Authorization: Bearer …" over HTTPS.
//
// Environment: TOLLGATE_MANAGEMENT_URL (https://…), TOLLGATE_TOKEN (SharedAccessSignature …), TOLLGATE_GATEWAY_URL
// (http://…, for one call with the key the SDK read), TOLLGATE_BACKEND_URL (an HTTP backend the API forwards to),
// NODE_EXTRA_CA_CERTS (the management certificate, PEM). Prints one line per step; exits 1 at the first failure.
// Two phases, so the test can wait for the request log between them: `node walkthrough.mjs manage` creates the
// instance and calls its API once; `node walkthrough.mjs report` reads the reports and deletes the instance.
// `node walkthrough.mjs principal` signs in as a service principal instead (TOLLGATE_CLIENT_ID, TOLLGATE_CLIENT_SECRET):
// its credential trades them at Tollgate's OAuth 2.0 client-credentials endpoint for a bearer token.
import assert from "node:assert/strict";
import { ApiManagementClient } from "@azure/arm-apimanagement";

const endpoint = process.env.TOLLGATE_MANAGEMENT_URL;
const token = process.env.TOLLGATE_TOKEN;
const gateway = process.env.TOLLGATE_GATEWAY_URL;
const backend = process.env.TOLLGATE_BACKEND_URL;
const subscriptionId = "00000000-0000-0000-0000-000000000000";
const rg = "sdk-rg";
const name = "sdkapim";

const credential = {
  // Azure SDKs ask for a token for "{endpoint}/.default"; Tollgate's token is for its whole management API.
  async getToken() {
    return { token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
  },
};

const client = new ApiManagementClient(credential, subscriptionId, { endpoint, $host: endpoint });

async function collect(iterator) {
  const items = [];
  for await (const item of iterator) {
    items.push(item);
  }
  return items;
}

async function step(title, action) {
  try {
    await action();
    console.log(`ok ${title}`);
  } catch (error) {
    console.log(`FAILED ${title}: ${error?.statusCode ?? ""} ${error?.code ?? ""} ${error?.message ?? error}`);
    process.exit(1);
  }
}

const phase = process.argv[2];
if (phase !== "manage" && phase !== "report" && phase !== "principal") {
  console.log("usage: node walkthrough.mjs manage|report|principal");
  process.exit(2);
}

if (phase === "manage") {
  await step("checkNameAvailability before creating", async () => {
    const result = await client.apiManagementService.checkNameAvailability({ name });
    assert.equal(result.nameAvailable, true);
  });

  await step("apiManagementService.beginCreateOrUpdateAndWait", async () => {
    const service = await client.apiManagementService.beginCreateOrUpdateAndWait(rg, name, {
      location: "local",
      publisherEmail: "admin@contoso.example",
      publisherName: "Contoso ML",
      sku: { name: "Developer", capacity: 1 },
    });
    assert.equal(service.name, name);
    assert.equal(service.provisioningState, "Succeeded");
  });

  await step("apiManagementService.get, list and listByResourceGroup", async () => {
    const service = await client.apiManagementService.get(rg, name);
    assert.equal(service.publisherName, "Contoso ML");
    assert.ok((await collect(client.apiManagementService.list())).some((s) => s.name === name));
    assert.ok((await collect(client.apiManagementService.listByResourceGroup(rg))).some((s) => s.name === name));
    const taken = await client.apiManagementService.checkNameAvailability({ name });
    assert.equal(taken.nameAvailable, false);
    assert.equal(taken.reason, "AlreadyExists");
  });

  await step("api.beginCreateOrUpdateAndWait", async () => {
    const api = await client.api.beginCreateOrUpdateAndWait(rg, name, "echo", {
      displayName: "Echo",
      path: "echo",
      serviceUrl: backend,
      protocols: ["http", "https"],
    });
    assert.equal(api.path, "echo");
  });

  await step("apiOperation.createOrUpdate and listByApi", async () => {
    await client.apiOperation.createOrUpdate(rg, name, "echo", "get-item", {
      displayName: "Get item",
      method: "GET",
      urlTemplate: "/items/{id}",
      templateParameters: [{ name: "id", type: "string", required: true }],
    });
    const operations = await collect(client.apiOperation.listByApi(rg, name, "echo"));
    assert.deepEqual(operations.map((o) => o.urlTemplate), ["/items/{id}"]);
  });

  await step("product.createOrUpdate and productApi.createOrUpdate", async () => {
    await client.product.createOrUpdate(rg, name, "gold", {
      displayName: "Gold",
      subscriptionRequired: true,
      approvalRequired: false,
      state: "published",
    });
    await client.productApi.createOrUpdate(rg, name, "gold", "echo");
    const apis = await collect(client.productApi.listByProduct(rg, name, "gold"));
    assert.deepEqual(apis.map((a) => a.name), ["echo"]);
  });

  await step("user.createOrUpdate", async () => {
    const user = await client.user.createOrUpdate(rg, name, "ada", { email: "ada@contoso.example", firstName: "Ada", lastName: "Lovelace" });
    assert.equal(user.email, "ada@contoso.example");
  });

  let key;
  await step("subscription.createOrUpdate, listSecrets and regeneratePrimaryKey", async () => {
    await client.subscription.createOrUpdate(rg, name, "ada-gold", {
      scope: "/products/gold",
      displayName: "Ada's gold",
      ownerId: "/users/ada",
      state: "active",
    });
    const before = await client.subscription.listSecrets(rg, name, "ada-gold");
    assert.match(before.primaryKey, /^[0-9a-f]{32}$/);
    await client.subscription.regeneratePrimaryKey(rg, name, "ada-gold");
    const after = await client.subscription.listSecrets(rg, name, "ada-gold");
    assert.notEqual(after.primaryKey, before.primaryKey);
    key = after.primaryKey;
  });

  await step("policy.get answers the default global policy with an ETag", async () => {
    const policy = await client.policy.get(rg, name, "policy");
    assert.match(policy.value, /<forward-request \/>/);
    assert.ok(policy.eTag, "no ETag on the policy");
  });

  await step("policy.createOrUpdate (global) and apiPolicy.createOrUpdate", async () => {
    await client.policy.createOrUpdate(rg, name, "policy", {
      format: "xml",
      value: "<policies><inbound><set-header name=\"X-Global\" exists-action=\"override\"><value>sdk</value></set-header></inbound><backend><forward-request /></backend><outbound /><on-error /></policies>",
    });
    await client.apiPolicy.createOrUpdate(rg, name, "echo", "policy", {
      format: "xml",
      value: "<policies><inbound><base /><set-header name=\"X-Api\" exists-action=\"override\"><value>sdk</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>",
    });
    // apiPolicy.get is declared as XML in this SDK and drops the value even against Azure (Azure/azure-sdk-for-js#31566);
    // read it back with listByApi as users of the SDK do.
    const policies = await client.apiPolicy.listByApi(rg, name, "echo");
    assert.match(policies.value[0].value, /X-Api/);
  });

  await step("namedValue.beginCreateOrUpdateAndWait (secret) and listValue", async () => {
    const created = await client.namedValue.beginCreateOrUpdateAndWait(rg, name, "backend-secret", {
      displayName: "backend-secret",
      value: "s3cr3t-value",
      secret: true,
    });
    assert.equal(created.secret, true);
    assert.equal(created.value ?? null, null);
    const value = await client.namedValue.listValue(rg, name, "backend-secret");
    assert.equal(value.value, "s3cr3t-value");
  });

  await step("a call through the gateway with the key the SDK read", async () => {
    const response = await fetch(`${gateway}/echo/items/42`, {
      headers: { "Ocp-Apim-Subscription-Key": key },
    });
    assert.equal(response.status, 200, await response.text());
  });

  await step("apiVersionSet.createOrUpdate and an API version in it", async () => {
    const set = await client.apiVersionSet.createOrUpdate(rg, name, "scoring", { displayName: "Scoring", versioningScheme: "Header", versionHeaderName: "Api-Version" });
    assert.equal(set.versioningScheme, "Header");
    const api = await client.api.beginCreateOrUpdateAndWait(rg, name, "scoring-v2", {
      displayName: "Scoring",
      path: "scoring",
      serviceUrl: backend,
      protocols: ["https"],
      apiVersion: "v2",
      apiVersionSetId: set.id,
    });
    assert.equal(api.apiVersion, "v2");
    assert.equal(api.apiVersionSet.versioningScheme, "Header");
    assert.deepEqual((await collect(client.apiVersionSet.listByService(rg, name))).map((s) => s.name), ["scoring"]);
  });

  await step("a revision (api.beginCreateOrUpdateAndWait of echo;rev=2), apiRevision.listByService and apiRelease.createOrUpdate", async () => {
    const revision = await client.api.beginCreateOrUpdateAndWait(rg, name, "echo;rev=2", {
      path: "echo",
      sourceApiId: `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.ApiManagement/service/${name}/apis/echo;rev=1`,
      apiRevisionDescription: "from the SDK",
    });
    assert.equal(revision.apiRevision, "2");
    assert.equal(revision.isCurrent, false);
    const revisions = await collect(client.apiRevision.listByService(rg, name, "echo"));
    assert.deepEqual(revisions.map((r) => [r.apiRevision, r.isCurrent]), [["1", true], ["2", false]]);
    await client.apiRelease.createOrUpdate(rg, name, "echo", "go-live", { apiId: "/apis/echo;rev=2", notes: "SDK release" });
    assert.equal((await client.api.get(rg, name, "echo")).apiRevision, "2");
    assert.deepEqual((await collect(client.apiRelease.listByService(rg, name, "echo"))).map((r) => r.notes), ["SDK release"]);
  });

}

if (phase === "report") {
  await step("reports.listByApi counts the call", async () => {
    const from = new Date(Date.now() - 60 * 60 * 1000).toISOString();
    const to = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    const rows = await collect(client.reports.listByApi(rg, name, `timestamp ge datetime'${from}' and timestamp le datetime'${to}'`));
    const echo = rows.find((r) => r.apiId?.endsWith("/apis/echo") || r.name === "Echo");
    assert.ok(echo, JSON.stringify(rows));
    assert.ok(echo.callCountTotal >= 1, JSON.stringify(echo));
  });

  await step("apiExport.get gives a link that downloads the OpenAPI document", async () => {
    const exported = await client.apiExport.get(rg, name, "echo", "openapi+json-link", "true");
    assert.equal(exported.exportResultFormat, "openapi-link");
    const response = await fetch(exported.value.link);
    assert.equal(response.status, 200);
    const document = await response.json();
    assert.match(document.openapi, /^3\./);
    assert.ok(document.paths["/items/{id}"], JSON.stringify(Object.keys(document.paths)));
  });

  await step("apiManagementService.beginDeleteAndWait", async () => {
    await client.apiManagementService.beginDeleteAndWait(rg, name);
    const free = await client.apiManagementService.checkNameAvailability({ name });
    assert.equal(free.nameAvailable, true);
  });

}

if (phase === "principal") {
  // A TokenCredential as a pipeline would write it against Azure AD, pointed at Tollgate's token endpoint.
  const principal = {
    async getToken(scopes) {
      const response = await fetch(`${endpoint}/oauth2/v2.0/token`, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: process.env.TOLLGATE_CLIENT_ID,
          client_secret: process.env.TOLLGATE_CLIENT_SECRET,
          scope: [scopes].flat().join(" "),
        }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      const body = await response.json();
      return { token: body.access_token, expiresOnTimestamp: Date.now() + body.expires_in * 1000 };
    },
  };
  const asPrincipal = new ApiManagementClient(principal, subscriptionId, { endpoint, $host: endpoint });

  await step("a service principal's client-credentials token opens the management API", async () => {
    await asPrincipal.apiManagementService.beginCreateOrUpdateAndWait(rg, "principalapim", {
      location: "local",
      publisherEmail: "ci@contoso.example",
      publisherName: "CI",
      sku: { name: "Developer", capacity: 1 },
    });
    const names = (await collect(asPrincipal.apiManagementService.listByResourceGroup(rg))).map((s) => s.name);
    assert.deepEqual(names, ["principalapim"]);
  });
}

console.log("done");
