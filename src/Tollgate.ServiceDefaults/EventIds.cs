namespace Tollgate.ServiceDefaults;

/// <summary>
/// Every log event id Tollgate writes, in one place so that two events never share an id and operators can filter
/// and alert on them. Ranges: 1xxx management, 2xxx gateway, 3xxx request log, 4xxx counters, 5xxx Studio.
/// An id, once shipped, keeps its meaning; a retired event leaves a gap.
/// </summary>
public static class EventIds
{
    // --- management (1xxx) ---
    /// <summary>A service's gateway snapshot was published.</summary>
    public const int SnapshotPublished = 1001;
    /// <summary>A management request failed with an unexpected exception (answered 500).</summary>
    public const int ManagementRequestFailed = 1002;
    /// <summary>A management node lost its <c>LISTEN</c> connection to the store (it polls and reconnects).</summary>
    public const int RevisionListenFailed = 1003;
    /// <summary>A management node could not read the store's revisions (it tries again at the next poll).</summary>
    public const int RevisionPollFailed = 1004;
    /// <summary>An e-mail could not be delivered; it stays in the outbox and is tried again later.</summary>
    public const int MailDeliveryFailed = 1101;
    /// <summary>An e-mail was delivered (SMTP or the mail folder).</summary>
    public const int MailDelivered = 1102;
    /// <summary>A notification's e-mail could not be queued; the action it follows is kept.</summary>
    public const int MailNotQueued = 1103;
    /// <summary>A pass of the quota-approaching notification failed; the next one tries again.</summary>
    public const int QuotaCheckFailed = 1104;
    /// <summary>A pass over subscription keys (rotation, expiry notices, last use) failed; the next one tries again.</summary>
    public const int KeyCheckFailed = 1105;
    /// <summary>A subscription's keys were replaced by its rotation schedule (the keys are never logged).</summary>
    public const int KeysRotated = 1106;

    // --- gateway: snapshots and routes (20xx) ---
    public const int GatewayServing = 2001;
    public const int RouteSkipped = 2002;
    public const int SnapshotRefused = 2003;
    /// <summary>A stored policy document could not be loaded; the operations it applies to answer 500.</summary>
    public const int PolicyNotLoaded = 2004;
    /// <summary>An instance was deleted: the gateway no longer serves it.</summary>
    public const int GatewayInstanceRemoved = 2005;
    /// <summary>The certificate of an instance's custom host name cannot be loaded; the host name is served over HTTP only.</summary>
    public const int HostCertificateNotLoaded = 2006;
    /// <summary>A snapshot's policies were built: how many documents were compiled and pipelines reused (debug).</summary>
    public const int PoliciesBuilt = 2007;
    /// <summary>The directory of compiled policy expressions cannot be read or written; documents are compiled instead.</summary>
    public const int PolicyAssembliesUnusable = 2008;

    // --- gateway: requests and backends (21xx) ---
    public const int BackendFailed = 2101;
    public const int ClientConnectionFailure = 2102;

    // --- gateway: policies (22xx) ---
    public const int PolicyFailed = 2201;
    public const int PolicyTrace = 2202;
    public const int PolicyAfterResponseFailed = 2203;
    public const int CacheLookupFailed = 2204;
    public const int CacheStoreFailed = 2205;
    public const int OneWayRequestFailed = 2206;

    // --- gateway: snapshots from a remote management node (23xx) ---
    public const int RemoteSnapshotFailed = 2301;
    public const int SnapshotBackupLoaded = 2302;
    public const int SnapshotBackupUnreadable = 2303;

    // --- request log (3xxx) ---
    public const int RequestRecordsNotStored = 3001;
    public const int RequestRecordsBuffered = 3002;
    public const int RequestRecordsBufferFull = 3003;
    public const int RequestRecordsRefused = 3004;
    public const int RequestRecordsUnreadable = 3005;
    public const int RequestRecordsRecovered = 3006;
    public const int RetentionDeleted = 3101;
    public const int RetentionFailed = 3102;

    // --- counters (4xxx) ---
    public const int QuotaCountersLoaded = 4101;
    public const int QuotaCountersUnreadable = 4102;
    public const int QuotaCountersNotWritten = 4103;

    // --- gateway: validation policies and backends (47xx) ---
    public const int ValidationFinding = 4701;
    public const int BackendCircuitOpened = 4702;
    public const int BackendCircuitStoreUnavailable = 4703;

    // --- Studio (5xxx) ---
    public const int StudioRequestFailed = 5001;
    public const int BesJobResumed = 5101;
    public const int BesJobInterrupted = 5102;
    public const int BesJobCancelled = 5103;
    public const int BesJobFailed = 5104;
    public const int OnnxModelImported = 5201;

    // --- Studio on several nodes (45xx) ---
    public const int BesJobClaimed = 4501;
    public const int BesJobLeaseLost = 4502;
    public const int BesJobClaimFailed = 4503;
    public const int BesJobHeartbeatFailed = 4504;
    public const int StudioStoreSelected = 4510;
    public const int OnnxModelRefused = 5202;
    public const int EndpointAdded = 5301;
    public const int EndpointModelUpdated = 5302;
    public const int EndpointModelRefused = 5303;
}
