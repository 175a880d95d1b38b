using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MimeKit;
using Tollgate.Management.Api;

namespace Tollgate.Management.Mail;

/// <summary>
/// The mail folder of the demo (no SMTP server): the delivered messages, <c>{data}/mail/*.eml</c>, listed newest first
/// and read one at a time by id (<c>GET /tollgate/mail</c>, <c>GET /tollgate/mail/{id}</c>, administrator only). An id is
/// the outbox's own file name without <c>.eml</c> (<c>yyyyMMddTHHmmssfff-{32 hex}</c>), checked against that pattern
/// before it names a file: nothing the client sends is used as a path.
/// </summary>
public sealed partial class MailFolder(MailOutbox outbox, MailOptions options)
{
    /// <summary>Whether messages go to an SMTP server (then the folder is not where they are).</summary>
    public bool UsesSmtp => options.UsesSmtp;

    public async Task<JsonObject> ListAsync(int top, CancellationToken ct)
    {
        var list = new JsonArray();
        if (!UsesSmtp && Directory.Exists(outbox.MailDirectory))
        {
            // The file names start with the time they were queued: ordinal order is time order.
            foreach (var path in Directory.GetFiles(outbox.MailDirectory, "*.eml").Where(p => IdPattern().IsMatch(Path.GetFileNameWithoutExtension(p)))
                         .OrderDescending(StringComparer.Ordinal).Take(top))
            {
                var message = await LoadAsync(path, ct);
                list.Add(Summary(Path.GetFileNameWithoutExtension(path), message));
            }
        }

        return new JsonObject { ["delivery"] = UsesSmtp ? "smtp" : "folder", ["value"] = list, ["count"] = list.Count };
    }

    public async Task<JsonObject> GetAsync(string id, CancellationToken ct)
    {
        if (!IdPattern().IsMatch(id))
        {
            throw ArmException.Validation("id", $"'{id}' is not the id of a message: ids are like 20260101T120000000-0123456789abcdef0123456789abcdef.");
        }

        var path = Path.Combine(outbox.MailDirectory, id + ".eml");
        if (UsesSmtp || !File.Exists(path))
        {
            throw ArmException.NotFound("Message");
        }

        var message = await LoadAsync(path, ct);
        var json = Summary(id, message);
        json["cc"] = message.Cc.ToString();
        json["bcc"] = message.Bcc.ToString();
        json["headers"] = new JsonArray(message.Headers.Select(h => (JsonNode)new JsonObject { ["name"] = h.Field, ["value"] = h.Value }).ToArray());
        json["text"] = message.TextBody;
        json["html"] = message.HtmlBody;
        return json;
    }

    private static JsonObject Summary(string id, MimeMessage message) => new()
    {
        ["id"] = id,
        // When it was queued (the outbox's clock, in the id), not the Date header's.
        ["date"] = DateTime.ParseExact(id[..18], "yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal).ToString("o", CultureInfo.InvariantCulture),
        ["from"] = message.From.ToString(),
        ["to"] = message.To.ToString(),
        ["subject"] = message.Subject,
    };

    private static async Task<MimeMessage> LoadAsync(string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        return await MimeMessage.LoadAsync(file, ct);
    }

    [GeneratedRegex("^[0-9]{8}T[0-9]{9}-[0-9a-f]{32}$")]
    private static partial Regex IdPattern();
}

/// <summary>The mail folder's endpoints (<c>/tollgate/mail</c>), behind the management API's authentication.</summary>
public static class MailFolderEndpoints
{
    public const string Path = "/tollgate/mail";

    public static Microsoft.AspNetCore.Routing.IEndpointRouteBuilder MapMailFolder(this Microsoft.AspNetCore.Routing.IEndpointRouteBuilder app)
    {
        Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(app, Path, (Microsoft.AspNetCore.Http.HttpContext http, [Microsoft.AspNetCore.Mvc.FromServices] MailFolder folder) =>
            ManagementEndpoints.Handle(http, async ct =>
            {
                var top = int.TryParse(http.Request.Query["$top"].FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var t) && t is > 0 and <= 1000 ? t : 100;
                return Microsoft.AspNetCore.Http.Results.Json(await folder.ListAsync(top, ct));
            }))
            .Documented("MailFolder_List",
                "Tollgate: the messages delivered to the mail folder ({data}/mail, when no SMTP server is configured), newest first ($top, default 100). delivery is 'smtp' (and the list empty) when an SMTP server is configured.",
                ManagementOpenApi.MailFolderList());
        Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(app, Path + "/{id}", (Microsoft.AspNetCore.Http.HttpContext http, string id, [Microsoft.AspNetCore.Mvc.FromServices] MailFolder folder) =>
            ManagementEndpoints.Handle(http, async ct => Microsoft.AspNetCore.Http.Results.Json(await folder.GetAsync(id, ct))))
            .Documented("MailFolder_Get",
                "Tollgate: one message of the mail folder: headers, text part, HTML part. An id not of the form yyyyMMddTHHmmssfff-{32 hex} is a 400 naming 'id'.",
                ManagementOpenApi.Ref("MailMessage"));
        return app;
    }
}
