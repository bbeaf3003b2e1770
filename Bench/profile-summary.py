"""Sums a dotnet-trace speedscope export per frame: self and inclusive shares of each thread's sampled time, the Dsl,
TorchSharp and CounterRandom frames first. Usage: python3 Bench/profile-summary.py trace.speedscope.json"""
import json,sys,collections
d=json.load(open(sys.argv[1]))
frames=d['shared']['frames']
for prof in d['profiles']:
    if prof['type']!='evented': continue
    selft=collections.Counter(); incl=collections.Counter(); total=0
    stack=[]; last=None
    evs=prof['events']
    t0=None
    for e in evs:
        t=e['at']
        if stack and last is not None:
            dt=t-last; total+=dt
            selft[stack[-1]]+=dt
            for f in set(stack): incl[f]+=dt
        last=t
        if e['type']=='O': stack.append(e['frame'])
        else:
            if stack: stack.pop()
    if total < 1000: continue
    print("== thread", prof['name'], "total", round(total))
    for f,v in selft.most_common(14):
        print(f"  self {100*v/total:5.1f}%  {frames[f]['name'][:150]}")
    print("  -- inclusive")
    for f,v in incl.most_common(40):
        nm=frames[f]['name']
        if 'Dsl' in nm or 'torch' in nm.lower() or 'Counter' in nm:
            print(f"  incl {100*v/total:5.1f}%  {nm[:150]}")
