using Tollgate.Studio.Batch;
using Tollgate.Studio.WebServices;

namespace Tollgate.UnitTests.Studio;

/// <summary>Studio classic's rules for endpoint names and the blobs of trained models (retraining).</summary>
public sealed class EndpointRulesTests
{
    [Theory]
    [InlineData("default", true)]
    [InlineData("retrained", true)]
    [InlineData("a", true)]
    [InlineData("nightly-2", true)]
    [InlineData("abcdefghijklmnopqrstuvwx", true)] // 24 characters
    [InlineData("abcdefghijklmnopqrstuvwxy", false)] // 25
    [InlineData("", false)]
    [InlineData("-retrained", false)]
    [InlineData("retrained-", false)]
    [InlineData("Retrained", false)]
    [InlineData("re_trained", false)]
    [InlineData("re trained", false)]
    public void EndpointNames_AreLowerCaseLettersDigitsAndInnerHyphens(string name, bool valid) =>
        Assert.Equal(valid, EndpointService.IsValidName(name));

    [Fact]
    public void ModelBlobs_AreIlearner_DatasetBlobsCsvOrTsv()
    {
        const string Connection = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net";
        var model = new BlobReference(Connection, "models/model.ilearner", null, null);
        Assert.Equal("model.ilearner", model.ToClient("output1", isOutput: true, storage: null, BlobReference.ModelExtensions).Name);

        var error = Assert.Throws<StudioError>(() => model.ToClient("output1", isOutput: true, storage: null));
        Assert.Equal("InvalidBlobExtension", error.Details[0].Code);
        Assert.Contains(".csv, .tsv", error.Details[0].Message);

        var csv = new BlobReference(Connection, "models/model.csv", null, null);
        error = Assert.Throws<StudioError>(() => csv.ToClient("output1", isOutput: true, storage: null, BlobReference.ModelExtensions));
        Assert.Contains(".ilearner", error.Details[0].Message);
    }
}
