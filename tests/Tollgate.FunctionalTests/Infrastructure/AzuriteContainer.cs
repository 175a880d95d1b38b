using Azure.Storage.Blobs;
using Tollgate.Tests.Common;

namespace Tollgate.FunctionalTests.Infrastructure;

/// <summary>A real Azurite with one blob container created, for BES tests.</summary>
public static class AzuriteContainer
{
    public static async Task<(AzuriteServer Azurite, BlobContainerClient Container)> StartAsync(string container = "mycontainer")
    {
        var azurite = await AzuriteServer.StartAsync();
        try
        {
            var client = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(container);
            await client.CreateIfNotExistsAsync();
            return (azurite, client);
        }
        catch
        {
            // xUnit does not call DisposeAsync when InitializeAsync fails: stop Azurite here.
            await azurite.DisposeAsync();
            throw;
        }
    }
}
