using System.Net;
using System.Net.Sockets;

namespace Tollgate.Tests.Common;

/// <summary>Hands out free loopback TCP ports for servers started by tests.</summary>
public static class FreePort
{
    /// <summary>Binds 127.0.0.1:0, reads the port the OS chose, and releases it.</summary>
    public static int Next()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
