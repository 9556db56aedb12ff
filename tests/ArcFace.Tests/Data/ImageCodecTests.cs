using ArcFace.Data;

namespace ArcFace.Tests.Data;

public class ImageCodecTests
{
    /// <summary>
    /// A 142-byte PNG whose header declares 16000 × 16000 RGBA (1 GB decoded) and whose IDAT holds only the first row.
    /// Made once with Python's zlib/struct: signature, IHDR (16000, 16000, 8-bit, colour type 6), IDAT, IEND.
    /// </summary>
    internal static readonly byte[] Png16000 = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAPoAAAD6ACAYAAABBft/eAAAAVUlEQVR42u3BMQEAAADCoPVP7W8GoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAzgD6AQABqiPR4QAAAABJRU5ErkJggg==");

    [Fact]
    public void AnImageDeclaringTooManyPixelsIsRefusedFromItsHeader()
    {
        var chw = new float[3 * 16 * 16];
        var e = Assert.Throws<FaceDataException>(() => ImageCodec.Decode(Png16000, 16, chw, "faces.rec", 5, 640));
        Assert.Equal("faces.rec", e.File);
        Assert.Equal(5, e.Record);
        Assert.Equal(640, e.Offset);
        Assert.Contains("16000×16000", e.Message);
        Assert.Contains("limit", e.Message);
    }

    [Fact]
    public void AnExtremeAspectRatioIsRefusedBeforeResizing()
    {
        TestRuntime.EnsureLoaded();
        // 1 × 4096 is within the side limit, but resizing its short side to 112 would make a 112 × 458752 bitmap.
        using var tall = TorchSharp.torch.zeros(3, 4096, 1);
        byte[] png = ImageCodec.EncodePng(tall);
        var e = Assert.Throws<FaceDataException>(() => ImageCodec.Decode(png, 112, new float[3 * 112 * 112], "tall.png"));
        Assert.Contains("112×458752", e.Message);
    }
}
