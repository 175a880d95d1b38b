namespace Tollgate.Hosting;

/// <summary>
/// A start-up failure the user can fix by changing a setting: a busy port, an address that is not one, an unknown
/// role, a value of the wrong type. The <c>tollgate</c> command prints its message as one line and exits 1; nothing
/// else of the exception (no stack trace) is shown.
/// </summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Checks the listener settings before anything starts and turns bind failures into <see cref="StartupException"/>s.</summary>
internal static class Listeners
{
    /// <summary>The configured listeners of one role: the setting's name and its URL.</summary>
    public static IReadOnlyList<(string Setting, string Url)> Of(TollgateSettings settings, TollgateRoles role) => role switch
    {
        TollgateRoles.Gateway => new[] { ("Tollgate:Gateway:HttpUrl", settings.Gateway.HttpUrl), ("Tollgate:Gateway:HttpsUrl", settings.Gateway.HttpsUrl) }
            .Where(l => !string.IsNullOrEmpty(l.Item2)).Select(l => (l.Item1, l.Item2!)).ToArray(),
        TollgateRoles.Management => new[] { ("Tollgate:Management:Url", settings.Management.Url), ("Tollgate:Management:HttpsUrl", settings.Management.HttpsUrl) }
            .Where(l => !string.IsNullOrEmpty(l.Item2)).Select(l => (l.Item1, l.Item2!)).ToArray(),
        TollgateRoles.Studio => [("Tollgate:Studio:Url", settings.Studio.Url)],
        TollgateRoles.Portal => [("Tollgate:Portal:Url", settings.Portal.Url)],
        _ => [],
    };

    /// <summary>Every listener URL of the hosted roles is an absolute http(s) URL on an IP address, <c>localhost</c> or any address.</summary>
    public static void Validate(TollgateSettings settings)
    {
        foreach (var role in new[] { TollgateRoles.Gateway, TollgateRoles.Management, TollgateRoles.Studio, TollgateRoles.Portal })
        {
            if (!settings.Roles.HasFlag(role))
            {
                continue;
            }

            foreach (var (setting, url) in Of(settings, role))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                {
                    throw new StartupException($"{setting} is '{url}', which is not an http:// or https:// address; {Hint(setting)}.");
                }

                var host = uri.Host.Trim('[', ']');
                if (host is not ("localhost" or "0.0.0.0" or "*" or "+" or "::") && !System.Net.IPAddress.TryParse(host, out _))
                {
                    throw new StartupException($"{setting} is '{url}': listeners take an IP address (e.g. 127.0.0.1), localhost or 0.0.0.0, not a host name; {Hint(setting)}.");
                }

                if (uri.Port is < 0 or > 65535)
                {
                    throw new StartupException($"{setting} is '{url}': the port must be 0 to 65535; {Hint(setting)}.");
                }
            }
        }

        if (settings.Roles.HasFlag(TollgateRoles.Management) && Of(settings, TollgateRoles.Management).Count == 0)
        {
            throw new StartupException("The management API has no listener: set Tollgate:Management:Url or Tollgate:Management:HttpsUrl.");
        }

        if (settings.Roles.HasFlag(TollgateRoles.Gateway) && Of(settings, TollgateRoles.Gateway).Count == 0)
        {
            throw new StartupException("The gateway has no listener: set Tollgate:Gateway:HttpUrl or Tollgate:Gateway:HttpsUrl.");
        }
    }

    /// <summary>
    /// Tries each listener of <paramref name="role"/> before its host starts, so a busy port is one clear line rather
    /// than the host's own error log with a stack trace (the host's failure is still explained if the port is taken
    /// between this check and the bind).
    /// </summary>
    public static void EnsureFree(TollgateSettings settings, TollgateRoles role)
    {
        foreach (var (setting, url) in Of(settings, role))
        {
            var uri = new Uri(url);
            if (uri.Port == 0)
            {
                continue;
            }

            var host = uri.Host.Trim('[', ']');
            var address = host switch
            {
                "localhost" => System.Net.IPAddress.Loopback,
                "0.0.0.0" or "*" or "+" => System.Net.IPAddress.Any,
                "::" => System.Net.IPAddress.IPv6Any,
                _ => System.Net.IPAddress.Parse(host),
            };
            var probe = new System.Net.Sockets.TcpListener(address, uri.Port);
            try
            {
                probe.Start();
            }
            catch (System.Net.Sockets.SocketException ex) when (Explain(settings, role, new IOException(":" + uri.Port, ex)) is { } explained)
            {
                throw explained;
            }
            finally
            {
                probe.Stop();
            }
        }
    }

    /// <summary>
    /// A role's host failed to start: when a listener could not bind, a <see cref="StartupException"/> naming the
    /// address and the setting to change; otherwise null (the failure is not about a setting).
    /// </summary>
    public static StartupException? Explain(TollgateSettings settings, TollgateRoles role, Exception failure)
    {
        var socket = Find<System.Net.Sockets.SocketException>(failure);
        var inUse = Find<Microsoft.AspNetCore.Connections.AddressInUseException>(failure) is not null
            || socket?.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse;
        var denied = socket?.SocketErrorCode is System.Net.Sockets.SocketError.AccessDenied or System.Net.Sockets.SocketError.AddressNotAvailable;
        if (!inUse && !denied)
        {
            return null;
        }

        var listeners = Of(settings, role);
        var text = failure.ToString();
        var (setting, url) = listeners.FirstOrDefault(l => Uri.TryCreate(l.Url, UriKind.Absolute, out var u) && text.Contains(":" + u.Port, StringComparison.Ordinal));
        if (setting is null)
        {
            (setting, url) = listeners.Count > 0 ? listeners[0] : ("Tollgate:*:Url", "?");
        }

        var why = inUse ? "is already in use by another process" : "cannot be listened on by this user or is not an address of this machine";
        return new StartupException($"{url} ({RoleName(role)}) {why}; {Hint(setting)}.", failure);
    }

    private static string Hint(string setting) =>
        $"set {setting} to another address, e.g. with the environment variable {setting.Replace(":", "__", StringComparison.Ordinal)}=http://127.0.0.1:<port>";

    private static string RoleName(TollgateRoles role) => role switch
    {
        TollgateRoles.Gateway => "gateway",
        TollgateRoles.Management => "management API",
        TollgateRoles.Studio => "Studio",
        _ => role.ToString(),
    };

    private static T? Find<T>(Exception? e)
        where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }

            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (Find<T>(inner) is { } nested)
                    {
                        return nested;
                    }
                }
            }
        }

        return null;
    }
}
