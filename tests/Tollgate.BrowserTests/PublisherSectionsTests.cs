using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Tollgate.BrowserTests.Infrastructure;
using Tollgate.FunctionalTests.Infrastructure;

namespace Tollgate.BrowserTests;

/// <summary>
/// The publisher portal's sections beyond the APIs, in a browser: products with their APIs and groups, users and
/// groups, subscriptions (approve, keys), the policy editor and the instance's settings. What the pages do is checked
/// through the management API; bad input is shown next to its field and not stored.
/// </summary>
public sealed class PublisherSectionsTests(PortalFixture portal) : IClassFixture<PortalFixture>
{
    /// <summary>An instance where the portal looks (its subscription and resource group), with APIM's built-ins.</summary>
    private async Task<string> CreateInstanceAsync(string name)
    {
        var defaults = portal.Host.Server.Settings.Portal;
        var svc = $"/subscriptions/{defaults.SubscriptionId}/resourceGroups/{defaults.ResourceGroup}/providers/Microsoft.ApiManagement/service/{name}";
        await portal.Host.PutAsync(svc, new { location = "local", properties = new { publisherName = "Contoso ML", publisherEmail = "admin@contoso.example" } });
        return svc;
    }

    [Fact]
    public async Task Products_AreCreatedWithTheirSettings_ApisAndGroups_AndAConflictIsShownNextToItsField()
    {
        var host = portal.Host;
        var svc = await CreateInstanceAsync("products");
        await host.PutAsync($"{svc}/apis/orders", new { properties = new { displayName = "Orders", serviceUrl = "http://127.0.0.1:9/orders", path = "orders", protocols = new[] { "https" } } });

        await using var p = await portal.NewPageAsync(nameof(Products_AreCreatedWithTheirSettings_ApisAndGroups_AndAConflictIsShownNextToItsField));
        var page = p.Page;
        await page.GotoAsync("/admin/products/products");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/products/products");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Starter" })).ToContainTextAsync("Published");
        await p.CheckAsync("products");

        await page.GetByRole(AriaRole.Link, new() { Name = "Add product" }).ClickAsync();
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Gold");
        await page.GetByLabel("Description").FillAsync("Higher limits for partners.");
        await page.GetByLabel("Terms of use").FillAsync("Use for evaluation only.");
        await page.GetByLabel("Require subscription approval").CheckAsync();
        await page.GetByLabel("Subscriptions per user").FillAsync("2");
        await page.GetByLabel("Published (shown to developers)").CheckAsync();
        await p.CheckAsync("add-product");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.WaitForURLAsync("**/products/gold/apis?created=1");
        var gold = (JsonObject)(await host.OkAsync(HttpMethod.Get, $"{svc}/products/gold"))["properties"]!;
        Assert.Equal("Gold", (string?)gold["displayName"]);
        Assert.Equal("Use for evaluation only.", (string?)gold["terms"]);
        Assert.True((bool)gold["subscriptionRequired"]!);
        Assert.True((bool)gold["approvalRequired"]!);
        Assert.Equal(2, (int)gold["subscriptionsLimit"]!);
        Assert.Equal("published", (string?)gold["state"]);

        // Its APIs: add Orders, then remove it.
        await page.GetByLabel("API", new() { Exact = true }).SelectOptionAsync("orders");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Orders" })).ToContainTextAsync("/orders");
        Assert.Equal(1, (int)(await host.OkAsync(HttpMethod.Get, $"{svc}/products/gold/apis"))["count"]!);
        await p.CheckAsync("product-apis");
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove Orders" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Removed 'Orders'.");
        Assert.Equal(0, (int)(await host.OkAsync(HttpMethod.Get, $"{svc}/products/gold/apis"))["count"]!);

        // Its groups: Developers see it.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Product" }).GetByRole(AriaRole.Link, new() { Name = "Visibility (groups)" }).ClickAsync();
        await page.GetByLabel("Group", new() { Exact = true }).SelectOptionAsync("developers");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Developers" })).ToBeVisibleAsync();
        Assert.Equal(1, (int)(await host.OkAsync(HttpMethod.Get, $"{svc}/products/gold/groups"))["count"]!);
        await p.CheckAsync("product-groups");

        // An open product cannot require approval: the message is next to the approval box, the input kept, nothing stored.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Product" }).GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await page.GetByLabel("Require subscription", new() { Exact = true }).UncheckAsync();
        await page.GetByLabel("Description").FillAsync("Changed, but not saved.");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#approvalRequired-error")).ToContainTextAsync("apply only to products with subscriptionRequired=true");
        Assert.Equal("Changed, but not saved.", await page.GetByLabel("Description").InputValueAsync());
        Assert.False(await page.GetByLabel("Require subscription", new() { Exact = true }).IsCheckedAsync());
        await p.CheckAsync("product-conflict");
        gold = (JsonObject)(await host.OkAsync(HttpMethod.Get, $"{svc}/products/gold"))["properties"]!;
        Assert.True((bool)gold["subscriptionRequired"]!);
        Assert.Equal("Higher limits for partners.", (string?)gold["description"]);

        // Search lists it on the server.
        await page.GotoAsync("/admin/products/products?search=gol");
        await Assertions.Expect(page.GetByRole(AriaRole.Row)).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Nth(1)).ToContainTextAsync("Gold");
    }

    [Fact]
    public async Task AUserIsCreated_SubscribedToStarter_TheSubmittedSubscriptionApproved_AndItsKeyRegenerated()
    {
        var host = portal.Host;
        var svc = await CreateInstanceAsync("people");

        await using var p = await portal.NewPageAsync(nameof(AUserIsCreated_SubscribedToStarter_TheSubmittedSubscriptionApproved_AndItsKeyRegenerated));
        var page = p.Page;
        await page.GotoAsync("/admin/people/users");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/people/users");
        await p.CheckAsync("users");

        // Add a user; an e-mail already used is refused next to its field.
        await page.GetByRole(AriaRole.Link, new() { Name = "Add user" }).ClickAsync();
        await page.GetByLabel("E-mail").FillAsync("admin@contoso.example");
        await page.GetByLabel("First name").FillAsync("Ada");
        await page.GetByLabel("Last name").FillAsync("Lovelace");
        await page.GetByLabel("Password").FillAsync("correct horse battery staple");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#email-error")).ToContainTextAsync("is already used by user '1'");
        Assert.Equal("Ada", await page.GetByLabel("First name").InputValueAsync());
        Assert.Equal("", await page.GetByLabel("Password").InputValueAsync());
        await p.CheckAsync("add-user-used-email");
        await page.GetByLabel("E-mail").FillAsync("ada@contoso.example");
        await page.GetByLabel("Password").FillAsync("correct horse battery staple");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/people/users/ada?created=1");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Ada Lovelace" })).ToBeVisibleAsync();
        await p.CheckAsync("user");

        // Block and unblock.
        await page.GetByRole(AriaRole.Button, new() { Name = "Block" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The user is blocked");
        Assert.Equal("blocked", (string?)(await host.OkAsync(HttpMethod.Get, $"{svc}/users/ada"))["properties"]!["state"]);
        await page.GetByRole(AriaRole.Button, new() { Name = "Unblock" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The user is unblocked.");
        Assert.Equal("active", (string?)(await host.OkAsync(HttpMethod.Get, $"{svc}/users/ada"))["properties"]!["state"]);

        // Reset her password by e-mail: no SMTP server here, so the message is an .eml file in {data}/mail.
        await page.GetByRole(AriaRole.Button, new() { Name = "Reset password by e-mail" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("A password reset e-mail is on its way to ada@contoso.example.");
        var resetMail = await portal.MailAsync("ada@contoso.example", m => m.Subject == "Your password was reset", "the subject Your password was reset");
        Assert.Contains("/reset-password?token=", resetMail.HtmlBody, StringComparison.Ordinal);

        // Invite a user: added without a password, she gets a link to choose one.
        await page.GotoAsync("/admin/people/users");
        await page.GetByRole(AriaRole.Link, new() { Name = "Add user" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.EndsWith("/users", StringComparison.Ordinal));
        await page.GetByLabel("E-mail").FillAsync("ivy@contoso.example");
        await page.GetByLabel("First name").FillAsync("Ivy");
        await page.GetByLabel("Last name").FillAsync("Bell");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/people/users/ivy?created=1");
        var invitation = await portal.MailAsync("ivy@contoso.example", m => m.Subject == "You are invited to join the Contoso ML developer network", "the subject You are invited to join the Contoso ML developer network");
        Assert.Contains("/reset-password?token=", invitation.HtmlBody, StringComparison.Ordinal);
        await p.CheckAsync("user-invited");

        // A group with her as a member.
        await page.GotoAsync("/admin/people/groups");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("Partners");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add group" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/people/groups/partners");
        await page.GetByLabel("User's e-mail or id").FillAsync("ada@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add member" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Ada Lovelace" })).ToBeVisibleAsync();
        await page.GetByLabel("User's e-mail or id").FillAsync("nobody@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add member" }).ClickAsync();
        await Assertions.Expect(page.Locator("#member-error")).ToContainTextAsync("No user has the e-mail 'nobody@contoso.example'.");
        Assert.Equal("nobody@contoso.example", await page.GetByLabel("User's e-mail or id").InputValueAsync());
        await p.CheckAsync("group");
        Assert.Equal(1, (int)(await host.OkAsync(HttpMethod.Get, $"{svc}/groups/partners/users"))["count"]!);

        // Subscribed to Starter: created submitted.
        await page.GetByRole(AriaRole.Link, new() { Name = "Ada Lovelace" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/people/users/ada");
        await Assertions.Expect(page.GetByLabel("Partners")).ToBeCheckedAsync();
        await page.GetByLabel("Product").SelectOptionAsync("starter");
        await page.GetByLabel("State", new() { Exact = true }).SelectOptionAsync("submitted");
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/people/subscriptions/*?created=1");
        var id = new Uri(page.Url).AbsolutePath.Split('/')[^1];
        await Assertions.Expect(page.Locator("#subscription-state")).ToHaveTextAsync("submitted");
        Assert.Equal("submitted", (string?)(await host.OkAsync(HttpMethod.Get, $"{svc}/subscriptions/{id}"))["properties"]!["state"]);
        await p.CheckAsync("subscription-submitted");

        // The submitted ones are listed by state and product.
        await page.GotoAsync("/admin/people/subscriptions?state=submitted&product=starter");
        await Assertions.Expect(page.GetByRole(AriaRole.Row)).ToHaveCountAsync(2);
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Nth(1)).ToContainTextAsync("ada");
        await p.CheckAsync("subscriptions-submitted");

        // Approved.
        await page.GetByRole(AriaRole.Link, new() { Name = "Starter" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(page.Locator("#subscription-state")).ToHaveTextAsync("active");
        Assert.Equal("active", (string?)(await host.OkAsync(HttpMethod.Get, $"{svc}/subscriptions/{id}"))["properties"]!["state"]);

        // Keys shown on demand, then the primary regenerated: the page shows the new key, the secondary is kept.
        await Assertions.Expect(page.GetByLabel("Primary key")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Show keys" }).ClickAsync();
        var before = await host.OkAsync(HttpMethod.Post, $"{svc}/subscriptions/{id}/listSecrets");
        await Assertions.Expect(page.GetByLabel("Primary key")).ToHaveValueAsync((string)before["primaryKey"]!);
        await page.GetByRole(AriaRole.Button, new() { Name = "Regenerate primary key" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The primary key is regenerated");
        var after = await host.OkAsync(HttpMethod.Post, $"{svc}/subscriptions/{id}/listSecrets");
        Assert.NotEqual((string)before["primaryKey"]!, (string)after["primaryKey"]!);
        Assert.Equal((string)before["secondaryKey"]!, (string)after["secondaryKey"]!);
        await Assertions.Expect(page.GetByLabel("Primary key")).ToHaveValueAsync((string)after["primaryKey"]!);
        await p.CheckAsync("subscription-keys");

        // Suspended, then the user deleted with her subscriptions.
        await page.GetByRole(AriaRole.Button, new() { Name = "Suspend" }).ClickAsync();
        await Assertions.Expect(page.Locator("#subscription-state")).ToHaveTextAsync("suspended");
        await page.GotoAsync("/admin/people/users/ada");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete user" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/people/users?deleted=*");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("User 'Ada Lovelace' was deleted.");
        using (var gone = await host.SendAsync(HttpMethod.Get, $"{svc}/subscriptions/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        await p.CheckAsync("user-deleted");
    }

    [Fact]
    public async Task APolicyWithAnError_ShowsTheErrorAtItsLine_AndNothingIsStored()
    {
        var host = portal.Host;
        var svc = await CreateInstanceAsync("policies");
        await host.PutAsync($"{svc}/apis/orders", new { properties = new { displayName = "Orders", serviceUrl = "http://127.0.0.1:9/orders", path = "orders", protocols = new[] { "https" } } });
        using var stored = await host.SendAsync(HttpMethod.Get, $"{svc}/apis/orders/policies/policy?format=rawxml");
        Assert.Equal(HttpStatusCode.NotFound, stored.StatusCode);

        await using var p = await portal.NewPageAsync(nameof(APolicyWithAnError_ShowsTheErrorAtItsLine_AndNothingIsStored));
        var page = p.Page;
        await page.GotoAsync("/admin/policies/policies");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/policies/policies");
        await p.CheckAsync("global-policy");

        // The Starter product's policy, as provisioned.
        await page.GetByRole(AriaRole.Link, new() { Name = "Policy of product Starter" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Policy document (XML)")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("rate-limit calls=\"5\""));
        await p.CheckAsync("product-policy");

        // The API's: an element that is no policy, on line 3.
        await page.GotoAsync("/admin/policies/apis/orders/policy");
        const string Bad = "<policies>\n    <inbound>\n        <no-such-policy />\n        <base />\n    </inbound>\n    <backend><base /></backend>\n    <outbound><base /></outbound>\n    <on-error><base /></on-error>\n</policies>";
        await page.GetByLabel("Policy document (XML)").FillAsync(Bad);
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        var error = page.Locator("#value-error");
        await Assertions.Expect(error).ToContainTextAsync("Line 3, column");
        await Assertions.Expect(error).ToContainTextAsync("no-such-policy");
        await Assertions.Expect(page.Locator(".gutter .bad")).ToHaveTextAsync("3");
        Assert.Equal(Bad, await page.GetByLabel("Policy document (XML)").InputValueAsync());
        await p.CheckAsync("policy-error");
        using (var still = await host.SendAsync(HttpMethod.Get, $"{svc}/apis/orders/policies/policy?format=rawxml"))
        {
            Assert.Equal(HttpStatusCode.NotFound, still.StatusCode);
        }

        // Corrected, it is saved.
        await page.GetByLabel("Policy document (XML)").FillAsync(Bad.Replace("<no-such-policy />", "<set-header name=\"X-Partner\" exists-action=\"override\"><value>gold</value></set-header>", StringComparison.Ordinal));
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The policy is saved");
        await Assertions.Expect(page.Locator("#value-error")).ToHaveCountAsync(0);
        var saved = await host.OkAsync(HttpMethod.Get, $"{svc}/apis/orders/policies/policy?format=rawxml");
        Assert.Contains("X-Partner", (string)saved["properties"]!["value"]!, StringComparison.Ordinal);
        await p.CheckAsync("policy-saved");

        // An operation's page shows its effective policy: global, product (Starter by default), API and operation
        // merged at <base />, each part under a comment naming its scope.
        await host.PutAsync($"{svc}/products/starter/apis/orders", new { });
        await host.PutAsync($"{svc}/apis/orders/operations/list", new { properties = new { displayName = "List orders", method = "GET", urlTemplate = "/" } });
        await host.PutAsync($"{svc}/apis/orders/operations/list/policies/policy", new
        {
            properties = new { format = "rawxml", value = "<policies><inbound><base /><set-query-parameter name=\"page\" exists-action=\"skip\"><value>1</value></set-query-parameter></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>" },
        });
        await page.GotoAsync("/admin/policies/apis/orders/operations/list/policy");
        var effective = page.GetByLabel("Effective policy (XML)");
        await Assertions.Expect(effective).ToContainTextAsync("<!-- product: Starter -->");
        var text = await effective.InnerTextAsync();
        int At(string s) => text.IndexOf(s, StringComparison.Ordinal);
        // The API's policy sets its header before its <base />, where the product's limits run.
        Assert.True(At("<!-- API: Orders -->") < At("X-Partner") && At("X-Partner") < At("<!-- product: Starter -->")
            && At("<!-- product: Starter -->") < At("rate-limit") && At("rate-limit") < At("<!-- operation: List orders -->")
            && At("<!-- operation: List orders -->") < At("set-query-parameter"), text);
        Assert.Contains("<!-- global -->", text, StringComparison.Ordinal);
        Assert.Contains("forward-request", text, StringComparison.Ordinal);
        await p.CheckAsync("effective-policy");

        // Without a product, the product's policies are not there.
        await page.GetByLabel("Called with a subscription to").SelectOptionAsync("");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await page.WaitForURLAsync("**/policy?product=");
        await Assertions.Expect(effective).Not.ToContainTextAsync("rate-limit");
        await Assertions.Expect(effective).ToContainTextAsync("X-Partner");
    }

    [Fact]
    public async Task InstanceSettings_AreSaved_AndABadEmailIsShownNextToItsField()
    {
        var host = portal.Host;
        var svc = await CreateInstanceAsync("settings");

        await using var p = await portal.NewPageAsync(nameof(InstanceSettings_AreSaved_AndABadEmailIsShownNextToItsField));
        var page = p.Page;
        await page.GotoAsync("/admin/settings/apis");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/settings/apis");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Instance" }).GetByRole(AriaRole.Link, new() { Name = "Instance" }).ClickAsync();
        await page.WaitForURLAsync("**/admin/settings/settings");
        await p.CheckAsync("instance");
        Assert.Equal("Contoso ML", await page.GetByLabel("Organization name").InputValueAsync());

        await page.GetByLabel("Organization name").FillAsync("Fabrikam ML");
        await page.GetByLabel("Notification sender e-mail").FillAsync("not an address");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notificationSenderEmail-error")).ToContainTextAsync("'not an address' is not a valid e-mail address.");
        Assert.Equal("Fabrikam ML", await page.GetByLabel("Organization name").InputValueAsync());
        await p.CheckAsync("instance-bad-email");
        Assert.Equal("Contoso ML", (string?)(await host.OkAsync(HttpMethod.Get, svc))["properties"]!["publisherName"]);

        await page.GetByLabel("Notification sender e-mail").FillAsync("noreply@fabrikam.example");
        await page.GetByLabel("Administrator e-mail").FillAsync("ops@fabrikam.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Saved.");
        var properties = (await host.OkAsync(HttpMethod.Get, svc))["properties"]!;
        Assert.Equal("Fabrikam ML", (string?)properties["publisherName"]);
        Assert.Equal("ops@fabrikam.example", (string?)properties["publisherEmail"]);
        Assert.Equal("noreply@fabrikam.example", (string?)properties["notificationSenderEmail"]);
        await p.CheckAsync("instance-saved");
    }

    [Fact]
    public async Task NamedValues_SecretsAreMasked_AndShownOnDemand()
    {
        var svc = await CreateInstanceAsync("values");
        await using var p = await portal.NewPageAsync(nameof(NamedValues_SecretsAreMasked_AndShownOnDemand));
        var page = p.Page;
        await page.GotoAsync("/admin/values/namedValues");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/values/namedValues");

        // A name with a space is refused next to the field, with what was typed kept.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("partner key");
        await page.GetByLabel("Value", new() { Exact = true }).FillAsync("plain");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add named value" }).ClickAsync();
        await Assertions.Expect(page.Locator("#displayName-error")).ToContainTextAsync("may contain only letters, digits");
        Assert.Equal("partner key", await page.GetByLabel("Name", new() { Exact = true }).InputValueAsync());
        Assert.Equal(0, (int)(await portal.Host.OkAsync(HttpMethod.Get, $"{svc}/namedValues"))["count"]!);
        await p.CheckAsync("named-value-error");

        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("partner-key");
        await page.GetByLabel("Value", new() { Exact = true }).FillAsync("s3cr3t-partner-value");
        await page.GetByLabel("Secret", new() { Exact = true }).CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add named value" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Named value 'partner-key' is added.");
        Assert.DoesNotContain("s3cr3t-partner-value", await page.ContentAsync(), StringComparison.Ordinal);
        await p.CheckAsync("named-values-masked");

        await page.GetByRole(AriaRole.Button, new() { Name = "Show the value of partner-key" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-secret='partner-key']")).ToHaveTextAsync("s3cr3t-partner-value");
        await p.CheckAsync("named-value-shown");
    }

    [Fact]
    public async Task PolicyFragments_AreAddedAndIncluded_AndAFragmentWithAnErrorIsNotStored()
    {
        var svc = await CreateInstanceAsync("fragments");
        await using var p = await portal.NewPageAsync(nameof(PolicyFragments_AreAddedAndIncluded_AndAFragmentWithAnErrorIsNotStored));
        var page = p.Page;
        await page.GotoAsync("/admin/fragments/policies");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/fragments/policies");
        await page.GetByRole(AriaRole.Link, new() { Name = "policy fragments" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Add fragment" }).ClickAsync();
        await page.WaitForURLAsync("**/policies/fragments/add");

        await page.GetByLabel("Id", new() { Exact = true }).FillAsync("partner-header");
        await page.GetByLabel("Description").FillAsync("Marks partner calls");
        await page.GetByLabel("Fragment (XML)").FillAsync("<fragment>\n    <set-header name=\"X-Partner\" exists-action=\"override\">\n        <value>gold</value>\n    </set-header>\n    <no-such-policy />\n</fragment>");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#value-error")).ToContainTextAsync("Line 5, column");
        await Assertions.Expect(page.Locator(".gutter .bad")).ToHaveTextAsync("5");
        Assert.Equal("partner-header", await page.GetByLabel("Id", new() { Exact = true }).InputValueAsync());
        await p.CheckAsync("fragment-error");
        Assert.Equal(0, (int)(await portal.Host.OkAsync(HttpMethod.Get, $"{svc}/policyFragments"))["count"]!);

        await page.GetByLabel("Fragment (XML)").FillAsync("<fragment>\n    <set-header name=\"X-Partner\" exists-action=\"override\">\n        <value>gold</value>\n    </set-header>\n</fragment>");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.WaitForURLAsync("**/policies/fragments/partner-header");
        Assert.Equal("Marks partner calls", (string?)(await portal.Host.OkAsync(HttpMethod.Get, $"{svc}/policyFragments/partner-header"))["properties"]!["description"]);
        await p.CheckAsync("fragment");

        // The global policy includes it.
        await page.GotoAsync("/admin/fragments/policies");
        await page.GetByLabel("Policy document (XML)").FillAsync("<policies>\n    <inbound>\n        <include-fragment fragment-id=\"partner-header\" />\n    </inbound>\n    <backend>\n        <forward-request />\n    </backend>\n    <outbound />\n    <on-error />\n</policies>");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("The policy is saved");
        Assert.Contains("partner-header", (string)(await portal.Host.OkAsync(HttpMethod.Get, $"{svc}/policies/policy?format=rawxml"))["properties"]!["value"]!, StringComparison.Ordinal);
        await p.CheckAsync("global-policy-with-fragment");
    }

    private const string PetstoreYaml = """
        openapi: 3.0.1
        info:
          title: Petstore
          description: Pets for sale.
          version: "1.0"
        servers:
          - url: http://127.0.0.1:9/petstore
        paths:
          /pets:
            get:
              operationId: listPets
              summary: List pets
              responses:
                "200":
                  description: The pets.
          /pets/{petId}:
            get:
              operationId: getPet
              summary: Get a pet
              parameters:
                - name: petId
                  in: path
                  required: true
                  schema:
                    type: integer
              responses:
                "200":
                  description: The pet.
        """;

    [Fact]
    public async Task AnApiIsImportedFromAFile_ExportedAsADocument_AndABrokenDocumentIsShownNextToItsField()
    {
        var host = portal.Host;
        var svc = await CreateInstanceAsync("imports");

        await using var p = await portal.NewPageAsync(nameof(AnApiIsImportedFromAFile_ExportedAsADocument_AndABrokenDocumentIsShownNextToItsField));
        var page = p.Page;
        await page.GotoAsync("/admin/imports/apis");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/admin/imports/apis");
        await page.GetByRole(AriaRole.Link, new() { Name = "Import API" }).ClickAsync();
        await page.WaitForURLAsync("**/apis/import");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Import API" })).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        // A document that is not OpenAPI: the management API's message is shown next to the text, which is kept.
        await page.GetByLabel("Document text").FillAsync("openapi: 3.0.1\npaths: [not, a, map");
        await page.GetByLabel("Web API URL suffix").FillAsync("petstore");
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.Locator("#value-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Document text")).ToHaveValueAsync("openapi: 3.0.1\npaths: [not, a, map");
        await Assertions.Expect(page.GetByLabel("Web API URL suffix")).ToHaveValueAsync("petstore");
        await p.CheckAsync("import-error");
        Assert.Empty((await host.OkAsync(HttpMethod.Get, $"{svc}/apis"))["value"]!.AsArray());

        // The file, with the Starter product.
        await page.GetByLabel("Document text").FillAsync("");
        await page.GetByLabel("OpenAPI or Swagger file").SetInputFilesAsync(new FilePayload
        {
            Name = "petstore.yaml", MimeType = "application/yaml", Buffer = System.Text.Encoding.UTF8.GetBytes(PetstoreYaml),
        });
        await page.GetByLabel("Starter").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await page.WaitForURLAsync("**/apis/petstore/operations?imported=1");
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("imported with 2 operations");
        await Assertions.Expect(page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Get a pet" })).ToContainTextAsync("GET /pets/{petId}");
        await p.CheckAsync("imported");
        var api = await host.OkAsync(HttpMethod.Get, $"{svc}/apis/petstore");
        Assert.Equal("Petstore", (string?)api["properties"]!["displayName"]);
        Assert.Equal("http://127.0.0.1:9/petstore", (string?)api["properties"]!["serviceUrl"]);
        using (var inStarter = await host.SendAsync(HttpMethod.Head, $"{svc}/products/starter/apis/petstore"))
        {
            Assert.True(inStarter.IsSuccessStatusCode, $"The API is not in Starter: {inStarter.StatusCode}");
        }

        // A second import on the same URL suffix is refused next to the suffix.
        await page.GotoAsync("/admin/imports/apis/import");
        await page.GetByLabel("Document text").FillAsync(PetstoreYaml);
        await page.GetByLabel("Web API URL suffix").FillAsync("petstore");
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.Locator("#path-error")).ToBeVisibleAsync();
        Assert.Single((await host.OkAsync(HttpMethod.Get, $"{svc}/apis"))["value"]!.AsArray());

        // Export from the API's settings: OpenAPI JSON with the operations.
        await page.GotoAsync("/admin/imports/apis/petstore");
        await p.CheckAsync("api-settings-export");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "OpenAPI 3 (JSON)" }).ClickAsync());
        Assert.Equal("petstore.json", download.SuggestedFilename);
        var exported = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync((await download.PathAsync())!))!;
        Assert.NotNull(exported["paths"]!["/pets/{petId}"]);
        Assert.Equal("Petstore", (string?)exported["info"]!["title"]);
        var yaml = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "OpenAPI 3 (YAML)" }).ClickAsync());
        var yamlText = await File.ReadAllTextAsync((await yaml.PathAsync())!);
        Assert.StartsWith("openapi: 3", yamlText, StringComparison.Ordinal);
        Assert.Contains("/pets/{petId}", yamlText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOperationsRequestAndResponses_AreEditedWithExamples_AndWhatTheFormDoesNotShowIsKept()
    {
        var host = portal.Host;
        var svc = await CreateInstanceAsync("messages");
        await host.PutAsync($"{svc}/apis/scoring", new { properties = new { displayName = "Scoring", serviceUrl = "http://127.0.0.1:9/score", path = "scoring", protocols = new[] { "https" } } });
        // Stored through the API with a schema reference the form does not show.
        await host.PutAsync($"{svc}/apis/scoring/operations/execute", new
        {
            properties = new
            {
                displayName = "Execute", method = "POST", urlTemplate = "/execute",
                request = new { representations = new[] { new { contentType = "application/json", schemaId = "rrs-schema", typeName = "ExecuteRequest" } } },
                responses = new[] { new { statusCode = 200, description = "OK" } },
            },
        });

        await using var p = await portal.NewPageAsync(nameof(AnOperationsRequestAndResponses_AreEditedWithExamples_AndWhatTheFormDoesNotShowIsKept));
        var page = p.Page;
        await page.GotoAsync("/admin/messages/apis/scoring/operations/execute");
        await p.SignInAsync();
        await page.WaitForURLAsync("**/operations/execute");
        await page.GetByLabel("Query parameters 1: name").FillAsync("api-version");
        await page.GetByLabel("Query parameters 1: required").SelectOptionAsync("true");
        await page.GetByLabel("Query parameters 1: default value").FillAsync("2.0");
        await page.GetByLabel("Headers 1: name").FillAsync("Authorization");
        await page.GetByLabel("Headers 1: required").SelectOptionAsync("true");
        await page.GetByLabel("Headers 1: description").FillAsync("Bearer and the web service's API key.");
        await page.GetByLabel("Request representation 1: example").FillAsync("{\"Inputs\":{\"input1\":{\"ColumnNames\":[\"Col2\"],\"Values\":[[\"This is a good day\"]]}}}");
        await page.GetByLabel("Response 2: status code").FillAsync("200");
        await page.GetByLabel("Response 2: content type").FillAsync("application/json");
        await page.GetByLabel("Response 2: example").FillAsync("{\"Results\":{}}");
        await page.GetByLabel("Response 1: status code").FillAsync("400");
        await page.GetByLabel("Response 1: description").FillAsync("");
        await p.CheckAsync("operation-messages");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved");

        var op = (await host.OkAsync(HttpMethod.Get, $"{svc}/apis/scoring/operations/execute"))["properties"]!;
        var query = op["request"]!["queryParameters"]![0]!;
        Assert.Equal(("api-version", true, "2.0"), ((string?)query["name"], (bool?)query["required"], (string?)query["defaultValue"]));
        Assert.Equal("Bearer and the web service's API key.", (string?)op["request"]!["headers"]![0]!["description"]);
        var representation = op["request"]!["representations"]![0]!;
        Assert.Equal("rrs-schema", (string?)representation["schemaId"]);
        Assert.Equal("ExecuteRequest", (string?)representation["typeName"]);
        Assert.Equal("This is a good day", (string?)representation["examples"]!["default"]!["value"]!["Inputs"]!["input1"]!["Values"]![0]![0]);
        var responses = op["responses"]!.AsArray().OfType<JsonObject>().ToDictionary(r => (int)r["statusCode"]!);
        Assert.Equal("Bad Request", (string?)responses[400]["description"]);
        Assert.Equal("application/json", (string?)responses[200]["representations"]![0]!["contentType"]);
        Assert.NotNull(responses[200]["representations"]![0]!["examples"]!["default"]!["value"]!["Results"]);

        // Shown again as saved, the JSON example indented; a status that is not a number is shown next to the responses.
        await page.GotoAsync("/admin/messages/apis/scoring/operations/execute");
        await Assertions.Expect(page.GetByLabel("Request representation 1: example")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("\"Inputs\": \\{"));
        await page.GetByLabel("Response 1: status code").FillAsync("abc");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#responses-error")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Response 1: status code")).ToHaveValueAsync("abc");
        await p.CheckAsync("operation-messages-error");
        var unchanged = (await host.OkAsync(HttpMethod.Get, $"{svc}/apis/scoring/operations/execute"))["properties"]!;
        Assert.Equal(2, unchanged["responses"]!.AsArray().Count);
    }
}
