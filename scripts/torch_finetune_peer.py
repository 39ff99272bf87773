# Peer for fine-tuning speed and memory: PyTorch (Debian python3-torch/python3-torchvision), random weights.
# Phase-2 step as TransferKit's FineTuneExample does it on MobileNetV2: the base up to the cut (Keras
# block_13_expand_relu = torchvision features[14].conv[0]) with the last `blocks` blocks trainable, BatchNorm kept in
# inference mode, new head GAP -> dense 128 (ReLU) -> dropout 0.3 -> softmax, Adam 1e-4, cross-entropy.
# The frozen part runs forward every step (as it must with augmentation).
# Usage: /usr/bin/python3 scripts/torch_finetune_peer.py [batch=16] [threads=2] [blocks=2] [steps=8] [size=224]
#        blocks=all trains the whole base (full fine-tuning).
import sys, time, torch, torch.nn as nn, torchvision

B = int(sys.argv[1]) if len(sys.argv) > 1 else 16
torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
blocks = sys.argv[3] if len(sys.argv) > 3 else "2"
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 8
size = int(sys.argv[5]) if len(sys.argv) > 5 else 224

m = torchvision.models.mobilenet_v2()
# features[0..13] whole, then block 14's expansion conv+BN+ReLU6 (576 channels at 14x14 for 224 input)
trunk = list(m.features[:14]) + [m.features[14].conv[0]]
head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(576, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 2))
if blocks == "all":
    frozen, trainable = [], trunk
else:
    k = int(blocks)   # last k blocks: features[13] and block 14's expansion for k=2
    frozen, trainable = trunk[:len(trunk) - k], trunk[len(trunk) - k:]
frozen_net, train_net = nn.Sequential(*frozen), nn.Sequential(*trainable)
for p in frozen_net.parameters():
    p.requires_grad_(False)
frozen_net.eval()
train_net.eval()          # BatchNorm in inference mode (running statistics), as Keras recommends for fine-tuning
head.train()
params = [p for p in train_net.parameters()] + list(head.parameters())
opt = torch.optim.Adam(params, lr=1e-4)
loss_fn = nn.CrossEntropyLoss()
x = torch.randn(B, 3, size, size)
y = torch.randint(0, 2, (B,))


def step():
    with torch.no_grad():
        a = frozen_net(x)
    out = head(train_net(a))
    loss = loss_fn(out, y)
    opt.zero_grad()
    loss.backward()
    opt.step()


for _ in range(2):
    step()
ts = []
for _ in range(steps):
    t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
ts.sort()
rss = int([l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]) / 1024  # this process's own peak (ru_maxrss can report the forking parent's)
print(f"mobilenet_v2 finetune blocks={blocks} batch={B} size={size} median {B / ts[len(ts) // 2]:.2f} img/s "
      f"best {B / ts[0]:.2f} img/s peak_rss {rss:.0f} MB threads={torch.get_num_threads()}")
