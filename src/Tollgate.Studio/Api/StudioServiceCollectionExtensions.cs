using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.ServiceDefaults;
using Tollgate.Security;
using Tollgate.Studio.Batch;
using Tollgate.Studio.Datasets;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Storage;
using Tollgate.Studio.WebServices;

namespace Tollgate.Studio.Api;

/// <summary>The workspace this process serves, loaded (or created) at start.</summary>
public sealed class StudioWorkspace
{
    private WorkspaceRecord? _current;

    public WorkspaceRecord Current => _current ?? throw new InvalidOperationException("Studio has not started yet.");

    internal void Set(WorkspaceRecord record) => _current = record;
}

/// <summary>Creates the store's tables, the workspace and the sample dataset before anything else runs.</summary>
internal sealed partial class StudioInitializer(StudioStore store, StudioWorkspace workspace, DatasetService datasets, StudioOptions options, TimeProvider time,
    Batch.BatchJobWorker worker, ILogger<StudioInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        Log.StoreSelected(logger, store.Provider, options.FilesInBlobStorage ? StudioStoreOptions.BlobFiles : StudioStoreOptions.LocalFiles, worker.NodeId);
        workspace.Set(await store.GetOrCreateWorkspaceAsync(time, cancellationToken));
        if (options.PreloadSample)
        {
            await datasets.EnsureSampleAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventIds.StudioStoreSelected, LogLevel.Information, "Studio store: {Provider}; datasets and trained models: {Files}; BES node name {Node}.")]
        public static partial void StoreSelected(ILogger logger, string provider, string files, string node);
    }
}

public static class StudioServiceCollectionExtensions
{
    /// <summary>
    /// Registers Studio: its store (SQLite at <c>{DataDirectory}/studio/studio.db</c>, or PostgreSQL with
    /// <c>Tollgate:Studio:Store:Provider</c> = <c>postgres</c>; secrets encrypted with <paramref name="protector"/>), its
    /// files (under the data directory, or in the default storage), datasets, experiments, web services, BES and the
    /// background job worker.
    /// </summary>
    /// <exception cref="ArgumentException">The store or job settings are not valid (<see cref="StudioOptions.Problem"/>).</exception>
    public static IServiceCollection AddStudio(this IServiceCollection services, StudioOptions options, SecretProtector protector)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(protector);
        if (options.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(options));
        }

        var directory = Path.Combine(options.DataDirectory, "studio");
        PrivateFiles.CreateDirectory(directory, tightenExisting: true);
        var postgres = options.Store.Provider.Equals(StudioStoreOptions.Postgres, StringComparison.OrdinalIgnoreCase);
        var database = Path.Combine(directory, "studio.db");
        if (!postgres)
        {
            PrivateFiles.Prepare(database);
        }

        var storage = new StorageAccess(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        // Made by the container, so that it disposes the store (and its connection pool) with the host.
        services.AddSingleton(_ => new StudioStore(
            postgres ? new PostgresStudioDialect(options.Store.ConnectionString!) : new SqliteStudioDialect(database), protector));
        services.AddSingleton<StudioFileStore>(options.FilesInBlobStorage
            ? new BlobStudioFileStore(
                new Azure.Storage.Blobs.BlobContainerClient(options.DefaultStorageConnectionString, options.Store.FilesContainer, storage.ClientOptions),
                Path.Combine(directory, "cache"))
            : new LocalStudioFileStore(directory));
        services.AddSingleton(sp => ModuleRegistry.CreateBuiltIn(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Learning.TrainedModelService>();
        services.AddSingleton<StudioWorkspace>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton<ExperimentService>();
        services.AddSingleton<WebServiceCatalog>();
        services.AddSingleton(storage);
        services.AddSingleton<BatchJobWorker>();
        services.AddSingleton<EndpointService>();
        services.AddSingleton<BatchService>();
        services.AddSingleton<StudioMetrics>();
        services.AddHostedService<StudioInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<BatchJobWorker>());
        return services;
    }
}
