"""PyTorch twin of `ArcFace.Benchmarks train` (TrainingBenchmark.cs): same backbone, head, optimizer and step.

IResNet as arcface_torch's iresnet.py, ArcFace s=64 m=0.5 as arcface_torch computes it (cos(θ+m) swapped in without
gradient; the C# side runs the library's MarginHead with the same straight-through gradient), SGD momentum 0.9
wd 5e-4, backbone gradient norm clipped at 5, polynomial lr, random images in memory indexed per step, random flips,
one loss.item() per step. Prints images/s per backbone and precision. Not run in CI; run it beside the C# benchmark
on the GPU machine (see ../../../../shared/device/README.md):

    python3 train_benchmark.py                       # GPU: r50 and r100, batch 128, 112x112, 85,742 classes
    python3 train_benchmark.py --device cpu --threads 2 --nets r18:0.25 --size 32 --embedding 128 --batch 64 --classes 1000 --steps 6
"""
import argparse, time
import torch
from torch import nn
import torch.nn.functional as F

DEPTHS = {"r18": [2, 2, 2, 2], "r34": [3, 4, 6, 3], "r50": [3, 4, 14, 3], "r100": [3, 13, 30, 3], "r200": [6, 26, 60, 6]}


class IBasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes, eps=1e-5)
        self.conv1 = nn.Conv2d(inplanes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=1e-5)
        self.prelu = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes, eps=1e-5)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes, eps=1e-5))

    def forward(self, x):
        out = self.bn3(self.conv2(self.prelu(self.bn2(self.conv1(self.bn1(x))))))
        out += x if self.downsample is None else self.downsample(x)
        return out


class IResNet(nn.Module):
    def __init__(self, units, embedding=512, size=112, width=1.0):
        super().__init__()
        w = lambda c: max(1, round(c * width))
        self.inplanes = w(64)
        self.conv1 = nn.Conv2d(3, self.inplanes, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes, eps=1e-5)
        self.prelu = nn.PReLU(self.inplanes)
        self.layer1, self.layer2, self.layer3, self.layer4 = (self._stage(w(c), n) for c, n in zip((64, 128, 256, 512), units))
        side = size
        for _ in range(4):
            side = (side + 1) // 2
        self.bn2 = nn.BatchNorm2d(self.inplanes, eps=1e-5)
        self.dropout = nn.Dropout(0.0, inplace=True)
        self.fc = nn.Linear(self.inplanes * side * side, embedding)
        self.features = nn.BatchNorm1d(embedding, eps=1e-5)
        nn.init.constant_(self.features.weight, 1.0)
        self.features.weight.requires_grad = False
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, 0.1)

    def _stage(self, planes, count):
        blocks = [IBasicBlock(self.inplanes if i == 0 else planes, planes, 2 if i == 0 else 1) for i in range(count)]
        self.inplanes = planes
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.prelu(self.bn1(self.conv1(x)))
        x = self.bn2(self.layer4(self.layer3(self.layer2(self.layer1(x)))))
        return self.features(self.fc(self.dropout(torch.flatten(x, 1))))


class ArcHead(nn.Module):
    def __init__(self, classes, embedding):
        super().__init__()
        self.weight = nn.Parameter(torch.normal(0, 0.01, (classes, embedding)))

    def forward(self, embeddings, labels):
        cos = F.linear(F.normalize(embeddings), F.normalize(self.weight)).clamp(-1, 1)
        target = cos.gather(1, labels.view(-1, 1))
        with torch.no_grad():
            margined = torch.cos(torch.acos(target) + 0.5) - target
        logits = cos.scatter_add(1, labels.view(-1, 1), margined) * 64
        return F.cross_entropy(logits, labels), logits, target


def measure(net, size, embedding, batch, classes, steps, precision, device):
    warmup = max(2, steps // 3)
    depth, _, width = net.partition(":")
    torch.manual_seed(0)
    backbone = IResNet(DEPTHS[depth], embedding, size, float(width or 1)).to(device)
    head = ArcHead(classes, backbone.features.num_features).to(device)
    images = torch.rand(batch * (warmup + steps), 3, size, size) * 2 - 1
    labels = torch.arange(images.shape[0]) % classes
    params = [p for p in list(backbone.parameters()) + list(head.parameters()) if p.requires_grad]
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=5e-4)
    total = warmup + steps
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 - k / total)
    order = torch.randperm(images.shape[0])
    bf16 = precision == "bfloat16"
    start = None
    for step in range(total):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        idx = order[step * batch:(step + 1) * batch]
        x = images[idx]
        flip = torch.rand(batch) < 0.5
        x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x).to(device)
        y = labels[idx].to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            emb = backbone(x)
        loss, logits, target = head(emb.float(), y)
        loss.item()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(backbone.parameters(), 5)
        opt.step()
        opt.zero_grad()
        sched.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--nets", default=None)
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--embedding", type=int, default=512)
    p.add_argument("--batch", type=int, default=None)
    p.add_argument("--classes", type=int, default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--precision", default=None, choices=["float32", "bfloat16", "both"])
    a = p.parse_args()
    device = torch.device(a.device)
    gpu = device.type == "cuda"
    if a.threads:
        torch.set_num_threads(a.threads)
    if gpu:
        torch.backends.cuda.matmul.allow_tf32 = True   # as the C# trainer does on the GPU
        torch.backends.cudnn.allow_tf32 = True
    nets = (a.nets or ("r50,r100" if gpu else "r18:0.25")).split(",")
    batch, classes, steps = a.batch or (128 if gpu else 64), a.classes or (85742 if gpu else 1000), a.steps or (30 if gpu else 6)
    precisions = {"both": ["float32", "bfloat16"], None: ["float32", "bfloat16"] if gpu else ["float32"]}.get(a.precision, [a.precision])
    print(f"# PyTorch {torch.__version__} on {device} ({torch.get_num_threads()} threads); batch {batch}, {classes:,} classes")
    print(f"{'backbone':<12} {'size':>5} {'precision':<9} {'img/s':>9} {'ms/step':>9}")
    for net in nets:
        for precision in precisions:
            rate = measure(net, a.size, a.embedding, batch, classes, steps, precision, device)
            print(f"{net:<12} {a.size:>5} {precision:<9} {rate:9.1f} {1000 * batch / rate:9.1f}")


if __name__ == "__main__":
    main()
