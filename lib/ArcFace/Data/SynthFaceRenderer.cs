using TorchSharp;
using static TorchSharp.torch;

namespace ArcFace.Data;

/// <summary>
/// Draws faces from per-image parameter rows with batched tensor operations: a head ellipsoid rotated by yaw, pitch
/// and roll is ray-cast per pixel; eyes, brows, nose, mouth, ears, hair, beard and glasses are painted in the head's
/// own surface coordinates, so they turn with the head; Lambertian light, occluder, blur and noise follow.
/// </summary>
static class SynthFaceRenderer
{
    /// <summary>The parameter columns, in order (<see cref="SynthFaces"/> fills them).</summary>
    internal enum P
    {
        A, B, C, Taper, EyeX, EyeY, EyeR, BrowThick, BrowGap, BrowSlant, NoseLen, NoseW, MouthV, MouthW, LipT, EarSize,
        Hairline, HairVol, HairLen, Glasses, Beard, Moustache, Wrinkles,
        SkinR, SkinG, SkinB, HairR, HairG, HairB, IrisR, IrisG, IrisB, LipR, LipG, LipB, FrameR, FrameG, FrameB,
        Yaw, Pitch, Roll, Smile, MouthOpen, EyeOpen, BrowRaise, LightX, LightY, Ambient, LightR, LightG, LightB,
        ShiftX, ShiftY, Zoom, BgR, BgG, BgB, ClothR, ClothG, ClothB, Occluded, OccX, OccY, OccW, OccH, OccR, OccG, OccB,
        Blur, Noise, Count,
    }

    /// <summary>Renders B images (B × 3 × size × size in [-1, 1]) from a B × <see cref="P.Count"/> float32 parameter tensor.</summary>
    internal static Tensor Render(Tensor parameters, Tensor noise, int size)
    {
        using var scope = NewDisposeScope();
        var device = parameters.device;
        long n = parameters.shape[0];
        Tensor p(P column) => parameters[.., (int)column].view(n, 1, 1);
        Tensor rgb(P first) => parameters[.., (int)first..((int)first + 3)].view(n, 3, 1, 1);
        double px = size / 2.0;                                 // pixels per screen unit
        Tensor soft(Tensor inside) => sigmoid(inside * (1.6 * px)).unsqueeze(1);

        // Screen coordinates in [-1, 1], y down, with framing jitter.
        var axis = linspace(-1 + 1.0 / size, 1 - 1.0 / size, size, device: device);
        var gy = axis.view(1, size, 1);
        var gx = axis.view(1, 1, size);
        var zoom = p(P.Zoom) * 2.0;                             // an aligned crop: the face fills the frame
        var X = (gx - p(P.ShiftX)) / zoom;
        var Y = (gy - p(P.ShiftY)) / zoom;
        double headY = 0.0;
        var a = p(P.A); var b = p(P.B); var c = p(P.C);

        var img = rgb(P.BgR).expand(n, 3, size, size) * (0.85 + 0.3 * (gy.unsqueeze(0) + 1) / 2);   // background with a vertical gradient
        Tensor paint(Tensor image, Tensor alpha, Tensor colour) => image + alpha * (colour - image);

        // Rotation R = Rz(roll) · Rx(pitch) · Ry(yaw); camera looks along −z, orthographic.
        var (cy, sy) = (cos(p(P.Yaw)), sin(p(P.Yaw)));
        var (cp, sp) = (cos(p(P.Pitch)), sin(p(P.Pitch)));
        var (cr, sr) = (cos(p(P.Roll)), sin(p(P.Roll)));
        // Ry(yaw) · then Rx(pitch) · then Rz(roll): rows of R.
        var r00 = cr * cy - sr * sp * sy; var r01 = -sr * cp; var r02 = cr * sy + sr * sp * cy;
        var r10 = sr * cy + cr * sp * sy; var r11 = cr * cp; var r12 = sr * sy - cr * sp * cy;
        var r20 = -cp * sy; var r21 = sp; var r22 = cp * cy;
        Tensor screenX(double u, double v, double w, Tensor aa, Tensor bb, Tensor cc) => r00 * (u * aa) + r01 * (v * bb) + r02 * (w * cc);

        // Body: shoulders in clothing, neck in shaded skin.
        var body = soft(1 - ((X / 0.95).square() + ((Y - 1.22) / 0.42).square()).sqrt());
        img = paint(img, body, rgb(P.ClothR));
        var neck = soft(torch.minimum(0.17 * a / 0.38 - X.abs(), Y - 0.1));
        img = paint(img, neck, rgb(P.SkinR) * 0.78);

        // Hair mass behind the head: a larger ellipse, pushed back by yaw; long hair falls to the shoulders.
        var hx = X + 0.16 * r02 * a / 0.38;
        var hairBack = soft(1 - ((hx / (a * (1.06 + p(P.HairVol)))).square() + ((Y - headY + 0.05 + 0.5 * p(P.HairVol) * b) / (b * (1.0 + 0.5 * p(P.HairVol)))).square()).sqrt());
        var longHair = soft(torch.minimum(a * 1.05 - hx.abs(), torch.minimum(Y - headY, headY + p(P.HairLen) - Y))) * (p(P.HairLen) > 0.05).unsqueeze(1);
        img = paint(img, torch.maximum(hairBack, longHair), rgb(P.HairR));

        // Ears sticking out: ellipses at the projected ear points, behind the head.
        foreach (double side in new[] { -1.0, 1.0 })
        {
            var ex = screenX(side * 0.98, 0.05, -0.15, a, b, c);
            var ey = headY + r10 * (side * 0.98 * a) + r11 * (0.05 * b) + r12 * (-0.15 * c);
            var depth = r20 * (side * a) + r22 * (-0.15 * c);
            var er = 0.085 * p(P.EarSize);
            var ear = soft((1 - (((X - ex) / (er * 0.75 * (0.35 + 0.65 * (1 - r02.abs()) ))).square() + ((Y - ey) / (er * 1.3)).square()).sqrt()) * er)
                * sigmoid((depth / c + 0.6) * 8).unsqueeze(1);
            img = paint(img, ear, rgb(P.SkinR) * 0.9);
        }

        // Ray-cast the head ellipsoid; the jaw tapers toward the chin by squeezing x.
        var Yh = Y - headY;
        var squeeze = 1 - p(P.Taper) * (Yh / b).clamp(0, 1).square();
        var Xh = X / squeeze;
        var ia = 1 / a.square(); var ib = 1 / b.square(); var ic = 1 / c.square();
        var r0u = r00 * Xh + r10 * Yh; var r0v = r01 * Xh + r11 * Yh; var r0w = r02 * Xh + r12 * Yh;
        var qa = r20.square() * ia + r21.square() * ib + r22.square() * ic;
        var qb = 2 * (r0u * r20 * ia + r0v * r21 * ib + r0w * r22 * ic);
        var qc = r0u.square() * ia + r0v.square() * ib + r0w.square() * ic - 1;
        var disc = qb.square() - 4 * qa * qc;
        var t = (-qb + disc.clamp_min(0).sqrt()) / (2 * qa);
        var U = (r0u + t * r20) / a; var V = (r0v + t * r21) / b; var W = (r0w + t * r22) / c;
        var head = soft(disc / (8 * qa.square() * c));
        var front = sigmoid(W * 10).unsqueeze(1);

        // Surface ellipse (in head units) → alpha; d is roughly the inside distance in screen units.
        Tensor blob(Tensor u0, Tensor v0, Tensor ru, Tensor rv) =>
            soft((1 - (((U - u0) / ru).square() + ((V - v0) / rv).square()).sqrt()) * torch.minimum(ru * a, rv * b)) * front;

        // Skin with light shading, cheeks, ageing lines.
        var skin = rgb(P.SkinR);
        var face = head;
        img = paint(img, face, skin.expand(n, 3, size, size));
        var sideEar = (1 - (((U.abs() - 0.9) / 0.16).square() + ((V - 0.05) / (0.2 * p(P.EarSize))).square()).sqrt()).clamp(-1, 1);
        img = paint(img, soft(sideEar * 0.05) * head * sigmoid(-W * 6).unsqueeze(1) * 0.6, skin * 0.75);
        foreach (double side in new[] { -1.0, 1.0 })
            img = paint(img, blob(side * 0.5 * ones_like(a), 0.3 * ones_like(a), 0.22 * ones_like(a), 0.16 * ones_like(a)) * 0.18, skin * tensor(new[] { 1.1f, 0.8f, 0.8f }, device: device).view(1, 3, 1, 1));

        // Hair on the scalp: above a hairline that dips at the temples, and on the back of the head.
        var hairline = p(P.Hairline) + 0.18 * U.square();
        var scalp = soft(torch.maximum(hairline - V, -W - 0.25 - 0.4 * (1 - U.abs())) * b) * head;
        img = paint(img, scalp, rgb(P.HairR));

        // Eyes: whites, iris, pupil, lid line; closed eyes shrink to a line.
        var eyeOpen = p(P.EyeOpen);
        var eyeR = p(P.EyeR);
        foreach (double side in new[] { -1.0, 1.0 })
        {
            var ex = side * p(P.EyeX);
            var ey = p(P.EyeY);
            var white = blob(ex, ey, eyeR, eyeR * 0.5 * eyeOpen + 0.01);
            img = paint(img, blob(ex, ey - 0.01, eyeR * 1.35, eyeR * 0.8) * 0.25, skin * 0.7);        // eye socket shadow
            img = paint(img, white, full(new long[] { 1, 3, 1, 1 }, 0.93f, device: device));
            var iris = blob(ex + 0.0 * U, ey, eyeR * 0.48, eyeR * 0.48) * white;
            img = paint(img, iris, rgb(P.IrisR));
            img = paint(img, blob(ex, ey, eyeR * 0.22, eyeR * 0.22) * white, zeros(1, 3, 1, 1, device: device));
            var lid = soft((0.018 - ((V - (ey - eyeR * 0.5 * eyeOpen - 0.005)).abs() + 1000 * (((U - ex) / eyeR).abs() > 1.05).to(float32) )) * b) * front;
            img = paint(img, lid, skin * 0.35);

            // Brow: a thick slanted bar above the eye.
            var bu = (U - ex) / (eyeR * 1.25);
            var bv = ey - p(P.BrowGap) - 0.06 * p(P.BrowRaise) + side * p(P.BrowSlant) * 0.05 * bu - 0.03 * (1 - bu.square());
            var brow = soft(torch.minimum((p(P.BrowThick) - (V - bv).abs()) * b, (1 - bu.abs()) * 0.05)) * front;
            img = paint(img, brow, rgb(P.HairR) * 0.8);
        }

        // Nose: a shaded ridge, a tip highlight, nostrils.
        var noseLen = p(P.NoseLen); var noseW = p(P.NoseW);
        var ridge = soft(torch.minimum((0.03 - (U - 0.02 * r02).abs()) * a, torch.minimum(V - p(P.EyeY), p(P.EyeY) + noseLen - V) * b)) * front;
        img = paint(img, ridge * 0.45, skin * 0.65);
        img = paint(img, blob(zeros_like(a), p(P.EyeY) + noseLen - 0.02, noseW * 0.7, noseW * 0.45) * 0.45, skin * 1.15);
        foreach (double side in new[] { -1.0, 1.0 })
            img = paint(img, blob(side * noseW * 0.45, p(P.EyeY) + noseLen + 0.03, noseW * 0.3, noseW * 0.18), skin * 0.3);

        // Moustache and beard in hair colour.
        var mouthV = p(P.MouthV); var mouthW = p(P.MouthW);
        var beard = soft(torch.minimum((V - mouthV + 0.08) * b, (0.8 - U.abs()) * a)) * head * p(P.Beard).unsqueeze(1);
        img = paint(img, beard * 0.9, rgb(P.HairR));
        var moustache = blob(zeros_like(a), mouthV - 0.07, mouthW * 1.1, 0.05 * ones_like(a)) * p(P.Moustache).unsqueeze(1);
        img = paint(img, moustache, rgb(P.HairR));

        // Mouth: two lips around a curve bent by the smile; an open mouth shows a dark gap.
        var mu = (U / mouthW).clamp(-1.5, 1.5);
        var curve = mouthV - p(P.Smile) * 0.06 * mu.square();
        var open = p(P.MouthOpen) * 0.05;
        var inMouth = (1 - mu.abs());
        var lips = soft(torch.minimum((p(P.LipT) + open - (V - curve - open / 2).abs()) * b, inMouth * 0.1)) * front;
        img = paint(img, lips, rgb(P.LipR));
        var gap = soft(torch.minimum((open / 2 + 0.006 - (V - curve - open / 2).abs()) * b, inMouth * 0.1 - 0.01)) * front;
        img = paint(img, gap, rgb(P.LipR) * 0.3);

        // Ageing lines: forehead and nasolabial folds.
        var lineAlpha = p(P.Wrinkles).unsqueeze(1) * 0.5;
        foreach (double fv in new[] { -0.45, -0.55 })
            img = paint(img, soft((0.012 - (V - fv - 0.04 * U.square()).abs()) * b) * soft((0.35 - U.abs()) * a) * front * head * lineAlpha, skin * 0.6);
        foreach (double side in new[] { -1.0, 1.0 })
            img = paint(img, soft((0.014 - (U - side * (noseW * 0.9 + 0.1 * (V - p(P.EyeY) - noseLen).clamp_min(0))).abs()) * a)
                * soft(torch.minimum(V - p(P.EyeY) - noseLen + 0.02, mouthV + 0.02 - V) * b) * front * lineAlpha, skin * 0.6);

        // Glasses: two rings and a bridge.
        var frame = rgb(P.FrameR);
        foreach (double side in new[] { -1.0, 1.0 })
        {
            var ru = (U - side * p(P.EyeX)) / (eyeR * 1.6); var rv = (V - p(P.EyeY)) / (eyeR * 1.15);
            var r = (ru.square() + rv.square()).sqrt();
            var ring = soft((0.12 - (r - 1).abs()) * eyeR * 1.3 * b) * front * p(P.Glasses).unsqueeze(1);
            img = paint(img, ring, frame);
        }
        var bridge = soft(torch.minimum((0.015 - (V - p(P.EyeY) + 0.02).abs()) * b, (p(P.EyeX) - eyeR * 1.6 - U.abs()) * a + 0.01)) * front * p(P.Glasses).unsqueeze(1);
        img = paint(img, bridge, frame);

        // Light: ambient + Lambertian on the head normal (camera space), a flat term elsewhere; a colour cast.
        var nu = U / a; var nv = V / b; var nw = W / c;                                       // normal in head coordinates
        var nx = r00 * nu + r01 * nv + r02 * nw; var ny = r10 * nu + r11 * nv + r12 * nw; var nz = r20 * nu + r21 * nv + r22 * nw;
        var norm = (nx.square() + ny.square() + nz.square()).sqrt() + 1e-6;
        var lx = p(P.LightX); var ly = p(P.LightY); var lz = (1 - lx.square() - ly.square()).clamp_min(0.05).sqrt();
        var lambert = ((nx * lx + ny * ly + nz * lz) / norm).clamp_min(0);
        var amb = p(P.Ambient);
        var shade = (amb + (1 - amb) * lambert).unsqueeze(1) * head + (amb + (1 - amb) * 0.7).unsqueeze(1) * (1 - head);
        img = img * shade * rgb(P.LightR);

        // Occluder: a rectangle of one colour (a hand, a scarf, a microphone).
        var occ = soft(torch.minimum(p(P.OccW) - (gx - p(P.OccX)).abs(), p(P.OccH) - (gy - p(P.OccY)).abs())) * p(P.Occluded).unsqueeze(1);
        img = paint(img, occ, rgb(P.OccR));

        // Blur: a mix with a 3×3 binomial blur; then noise.
        var kernel = tensor(new float[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }, device: device).view(1, 1, 3, 3) / 16;
        var blurred = nn.functional.conv2d(nn.functional.pad(img.view(n * 3, 1, size, size), [1, 1, 1, 1], PaddingModes.Replicate), kernel).view(n, 3, size, size);
        var blurMix = p(P.Blur).unsqueeze(1);
        img = img + blurMix * (blurred - img);
        img = img + noise * p(P.Noise).unsqueeze(1);
        return (img.clamp(0, 1) * 2 - 1).MoveToOuterDisposeScope();
    }
}
