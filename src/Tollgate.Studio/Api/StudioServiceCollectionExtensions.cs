using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
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
internal sealed class StudioInitializer(StudioStore store, StudioWorkspace workspace, DatasetService datasets, StudioOptions options, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.InitializeAsync(cancellationToken);
        workspace.Set(await store.GetOrCreateWorkspaceAsync(time, cancellationToken));
        if (options.PreloadSample)
        {
            await datasets.EnsureSampleAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class StudioServiceCollectionExtensions
{
    /// <summary>
    /// Registers Studio: its SQLite store at <c>{DataDirectory}/studio/studio.db</c> (secrets encrypted with
    /// <paramref name="protector"/>), datasets, experiments, web services, BES and the background job worker.
    /// </summary>
    public static IServiceCollection AddStudio(this IServiceCollection services, StudioOptions options, SecretProtector protector)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(protector);
        var directory = Path.Combine(options.DataDirectory, "studio");
        PrivateFiles.CreateDirectory(directory, tightenExisting: true);
        var database = Path.Combine(directory, "studio.db");
        PrivateFiles.Prepare(database);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(new StudioStore(database, protector));
        services.AddSingleton(sp => ModuleRegistry.CreateBuiltIn(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Learning.TrainedModelService>();
        services.AddSingleton<StudioWorkspace>();
        services.AddSingleton<DatasetService>();
        services.AddSingleton<ExperimentService>();
        services.AddSingleton<WebServiceCatalog>();
        services.AddSingleton(new StorageAccess(options));
        services.AddSingleton<BatchJobWorker>();
        services.AddSingleton<EndpointService>();
        services.AddSingleton<BatchService>();
        services.AddSingleton<StudioMetrics>();
        services.AddHostedService<StudioInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<BatchJobWorker>());
        return services;
    }
}
