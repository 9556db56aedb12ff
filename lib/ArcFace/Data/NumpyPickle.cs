using Razorvine.Pickle;

namespace ArcFace.Data;

/// <summary>
/// The numpy objects a pickled verification <c>.bin</c> may hold, as Razorvine.Pickle rebuilds them: arrays
/// (<c>_reconstruct</c> + BUILD state), scalars (<c>multiarray.scalar</c>) and their dtypes. Only the shape, the dtype
/// string and the raw bytes are kept; <see cref="Bytes"/> checks that they agree before anyone uses them.
/// </summary>
sealed class NumpyArray
{
    long[]? shape;
    NumpyDType? dtype;
    byte[]? data;

    /// <summary>Registers the numpy constructors with Razorvine, whose registry is global: call once.</summary>
    internal static void RegisterConstructors()
    {
        // Both module names: numpy 2 pickles under numpy._core, numpy 1 under numpy.core.
        foreach (var module in new[] { "numpy.core.multiarray", "numpy._core.multiarray" })
        {
            Unpickler.registerConstructor(module, "_reconstruct", new Constructor(_ => new NumpyArray()));
            Unpickler.registerConstructor(module, "scalar", new Constructor(args => new NumpyArray
            {
                shape = [],
                dtype = args.Length == 2 ? args[0] as NumpyDType : null,
                data = args.Length == 2 ? Raw(args[1]) : null,
            }));
        }
        Unpickler.registerConstructor("numpy", "dtype", new Constructor(args => new NumpyDType(args.Length > 0 ? args[0] as string : null)));
    }

    /// <summary>numpy's ndarray.__setstate__: (version, shape, dtype, is_fortran, raw bytes).</summary>
    public void __setstate__(object[] state)
    {
        if (state.Length != 5) return;
        shape = state[1] is object[] dims && dims.All(d => d is int or long) ? dims.Select(Convert.ToInt64).ToArray() : null;
        dtype = state[2] as NumpyDType;
        data = Raw(state[4]);
    }

    /// <summary>The dtype string, e.g. <c>u1</c> or <c>b1</c>, or null.</summary>
    public string? DType => dtype?.Descr;

    /// <summary>The shape as numpy prints it.</summary>
    public string Shape => shape is null ? "(unknown)" : shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";

    /// <summary>Whether it is a vector, a column (n × 1) or a scalar.</summary>
    public bool IsVector => shape is [] or [_] or [_, 1];

    /// <summary>
    /// The raw bytes, after checking that the shape and dtype account for exactly that many: a pickle can declare any
    /// shape, and only the bytes it really holds may be trusted.
    /// </summary>
    public byte[] Bytes(string file, long record, string what)
    {
        if (shape is null || data is null || dtype?.ItemSize is not { } itemSize)
            throw new FaceDataException(file, record, null, $"{what} is a numpy array without {(data is null ? "data" : shape is null ? "a shape" : $"a known dtype ({DType ?? "none"})")}.");
        long expected = itemSize;
        foreach (long d in shape)
        {
            if (d < 0 || (d > 0 && expected > data.Length / d)) { expected = -1; break; }   // no overflow: stays ≤ data.Length
            expected *= d;
        }
        if (expected != data.Length)
            throw new FaceDataException(file, record, null, $"{what} is a numpy array of dtype {DType} and shape {Shape}, but it holds {data.Length} bytes.");
        return data;
    }

    // Python 3 byte strings arrive as byte[]; Python 2 str (and protocol-2 _codecs.encode of latin-1) as byte[] or chars 0…255.
    static byte[]? Raw(object? o) => o switch
    {
        byte[] b => b,
        string s when s.All(c => c <= 0xff) => s.Select(c => (byte)c).ToArray(),
        _ => null,
    };

    sealed class Constructor(Func<object[], object> build) : IObjectConstructor
    {
        public object construct(object[] args) => build(args);
    }
}

/// <summary>A numpy dtype: its string (<c>u1</c>, <c>b1</c>, <c>f4</c>…); byte order does not matter for one-byte types.</summary>
sealed class NumpyDType(string? descr)
{
    /// <summary>The dtype string.</summary>
    public string? Descr { get; } = descr;

    /// <summary>Bytes per element from the string's digits, or null for a dtype without a fixed size (objects, strings).</summary>
    public int? ItemSize => Descr is [_, .. var digits] && int.TryParse(digits, out int size) && size is > 0 and <= 16 && Descr[0] is 'b' or 'u' or 'i' or 'f' or 'c' ? size : null;

    /// <summary>numpy's dtype.__setstate__ (byte order, field names…): nothing here needs it.</summary>
    public void __setstate__(object[] state) { }
}
