using System.CommandLine;
using Tollgate.Commands;

return await TollgateCli.Build().Parse(args).InvokeAsync();
