using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tollgate.ServiceDefaults;

/// <summary>
/// Gives every request of a role a request id (a version-7 GUID) that becomes <see cref="HttpContext.TraceIdentifier"/>
/// — so ASP.NET Core's logging scope puts it on every log line of the request — and is returned in a response header.
/// </summary>
public static class RequestIds
{
    /// <summary>The header of the management API (and Studio's RRS/BES): <c>x-ms-request-id</c>, as Azure's REST APIs send.</summary>
    public const string AzureHeader = "x-ms-request-id";

    /// <summary>Random bytes for request ids, drawn from the operating system's CSPRNG a few hundred ids at a time.</summary>
    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_used;

    /// <summary>
    /// A new request id: a version-7 GUID (RFC 9562: 48 bits of Unix milliseconds, then 74 random bits), as
    /// <see cref="Guid.CreateVersion7(DateTimeOffset)"/> makes it, in its "D" format. The random bits come from a
    /// per-thread buffer of CSPRNG bytes refilled every few hundred ids, instead of one system call per id.
    /// </summary>
    public static string NewId(DateTimeOffset timestamp)
    {
        const int RandomBytes = 10;
        var buffer = t_random ??= new byte[RandomBytes * 400];
        if (t_used == 0 || t_used + RandomBytes > buffer.Length)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(buffer);
            t_used = 0;
        }

        Span<byte> bytes = stackalloc byte[16];
        var ms = timestamp.ToUnixTimeMilliseconds();
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes[..8], ms << 16);
        buffer.AsSpan(t_used, RandomBytes).CopyTo(bytes[6..]);
        t_used += RandomBytes;
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true).ToString();
    }

    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app, string header, TimeProvider time)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Tollgate.Requests");
        return app.Use(async (context, next) =>
        {
            context.TraceIdentifier = NewId(time.GetUtcNow());
            context.Response.Headers[header] = context.TraceIdentifier;
            using (logger.BeginScope(new RequestIdScope(context.TraceIdentifier)))
            {
                await next(context);
            }
        });
    }
}
