using SkiaSharp;
using static TorchSharp.torch;

namespace ArcFace.Data;

/// <summary>
/// JPEG/PNG ↔ normalised RGB pixels with SkiaSharp. Pixels are CHW floats (x − 127.5) / 127.5 in [-1, 1], the
/// normalisation of insightface's loaders.
/// </summary>
public static class ImageCodec
{
    /// <summary>
    /// Decodes <paramref name="encoded"/> into <paramref name="chw"/> (3 × size × size). An image of another size has its
    /// short side resized to <paramref name="size"/> (bilinear) and is centre-cropped. Throws <see cref="FaceDataException"/>
    /// naming <paramref name="file"/>, <paramref name="record"/> and <paramref name="offset"/> when it does not decode, or
    /// when its header or its resized size exceeds <see cref="DataLimits.MaxImagePixels"/>.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> encoded, int size, Span<float> chw, string file, long? record = null, long? offset = null)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new FaceDataException(file, record, offset, $"the image ({encoded.Length} bytes) is not a JPEG or PNG that decodes.");
        // The header's size is known before decoding: a few hundred bytes of PNG can declare gigabytes of pixels.
        var header = codec.Info;
        DataLimits.Check((long)header.Width * header.Height, DataLimits.MaxImagePixels, $"the {header.Width}×{header.Height} image's pixel count", file, record, offset);
        using var decoded = SKBitmap.Decode(codec)
            ?? throw new FaceDataException(file, record, offset, $"the image ({encoded.Length} bytes) is not a JPEG or PNG that decodes.");
        using var rgba = decoded.ColorType == SKColorType.Rgba8888 && decoded.AlphaType != SKAlphaType.Premul ? null : decoded.Copy(SKColorType.Rgba8888);
        var source = rgba ?? decoded;
        SKBitmap? resized = null;
        if (source.Width != size || source.Height != size)
        {
            double scale = (double)size / Math.Min(source.Width, source.Height);
            long width = Math.Max(size, (long)Math.Round(source.Width * scale)), height = Math.Max(size, (long)Math.Round(source.Height * scale));
            // A thin image's long side grows with the short one: 1 × 4096 resized to 112 would be 112 × 458752.
            DataLimits.Check(width * height, DataLimits.MaxImagePixels, $"the {width}×{height} resized image's pixel count", file, record, offset);
            var info = new SKImageInfo((int)width, (int)height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            resized = source.Resize(info, new SKSamplingOptions(SKFilterMode.Linear))
                ?? throw new FaceDataException(file, record, offset, $"the {source.Width}×{source.Height} image could not be resized to {size}.");
            source = resized;
        }
        using (resized)
        {
            ReadOnlySpan<byte> pixels = source.GetPixelSpan();
            int x0 = (source.Width - size) / 2, y0 = (source.Height - size) / 2, plane = size * size, stride = source.RowBytes;
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    int p = (y0 + y) * stride + (x0 + x) * 4, q = y * size + x;
                    chw[q] = (pixels[p] - 127.5f) / 127.5f;
                    chw[plane + q] = (pixels[p + 1] - 127.5f) / 127.5f;
                    chw[2 * plane + q] = (pixels[p + 2] - 127.5f) / 127.5f;
                }
        }
    }

    /// <summary>Decodes many images in parallel into one B × 3 × size × size tensor.</summary>
    public static Tensor DecodeBatch(int count, int size, Func<int, (byte[] Bytes, string File, long? Record, long? Offset)> read)
    {
        int chw = 3 * size * size;
        var data = new float[(long)count * chw];
        DataParallel.For(count, i =>
        {
            var (bytes, file, record, offset) = read(i);
            Decode(bytes, size, data.AsSpan(i * chw, chw), file, record, offset);
        });
        return tensor(data, [count, 3, size, size]);
    }

    /// <summary>Encodes one 3 × H × W image in [-1, 1] as PNG (lossless: decoding gives the same 8-bit pixels back).</summary>
    public static byte[] EncodePng(Tensor chw) => Encode(chw, SKEncodedImageFormat.Png, 100);

    /// <summary>Encodes one 3 × H × W image in [-1, 1] as JPEG of <paramref name="quality"/> (insightface's rec_builder: 95).</summary>
    public static byte[] EncodeJpeg(Tensor chw, int quality = 95) => Encode(chw, SKEncodedImageFormat.Jpeg, quality);

    /// <summary>The 8-bit RGBA pixels (row-major) of one 3 × H × W image in [-1, 1].</summary>
    public static byte[] ToRgba(Tensor chw)
    {
        int h = (int)chw.shape[1], w = (int)chw.shape[2];
        var bytes = (chw.detach().cpu().to(ScalarType.Float32) * 127.5f + 127.5f).round().clamp(0, 255)
            .permute(1, 2, 0).to(ScalarType.Byte).contiguous().data<byte>().ToArray();
        var rgba = new byte[h * w * 4];
        for (int i = 0; i < h * w; i++)
        {
            rgba[4 * i] = bytes[3 * i];
            rgba[4 * i + 1] = bytes[3 * i + 1];
            rgba[4 * i + 2] = bytes[3 * i + 2];
            rgba[4 * i + 3] = 255;
        }
        return rgba;
    }

    /// <summary>A SkiaSharp bitmap of one 3 × H × W image in [-1, 1].</summary>
    public static SKBitmap ToBitmap(Tensor chw)
    {
        int h = (int)chw.shape[1], w = (int)chw.shape[2];
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        ToRgba(chw).CopyTo(bitmap.GetPixelSpan());
        return bitmap;
    }

    static byte[] Encode(Tensor chw, SKEncodedImageFormat format, int quality)
    {
        if (chw.dim() != 3 || chw.shape[0] != 3) throw new ArgumentException($"expected a 3 × H × W image, got [{string.Join(", ", chw.shape)}].", nameof(chw));
        using var bitmap = ToBitmap(chw);
        using var data = bitmap.Encode(format, quality);
        return data.ToArray();
    }
}
