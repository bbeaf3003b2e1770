"""Writes the .npy/.npz/.csv fixtures that ArrayFilesTests reads, with NumPy itself (numpy 1.24 here:
/usr/bin/python3 on Debian 12). The tests recompute every expected value from the formulas below, so they
need no NumPy; rerun this script only to change the fixtures."""
import numpy as np

base = np.arange(12).reshape(4, 3)
np.save("f4_c.npy", (base / 7).astype("<f4"))                        # C order float32, the common case
np.save("f8_fortran.npy", np.asfortranarray(base * 0.1))               # Fortran order float64
np.save("i2_big.npy", np.arange(-3, 3).astype(">i2"))                  # big-endian int16, 1-D: 6 points of D = 1
np.save("u1_images.npy", (np.arange(20) * 13 % 256).astype("u1").reshape(5, 2, 2))  # an image stack: D = 4
np.save("bool.npy", np.array([[True, False], [False, True], [True, True]]))
np.save("f2.npy", (base[:2] / 4).astype("<f2"))
with open("v2_header.npy", "wb") as f:
    np.lib.format.write_array(f, (base / 7).astype("<f4"), version=(2, 0))
np.save("i8_large.npy", np.array([[2**40 + 1], [-3]], dtype="<i8"))    # beyond float32's exact range: read as float64
bad = (base * 0.5).astype("<f8"); bad[2, 1] = np.nan
np.save("nan.npy", bad)
np.save("scalar.npy", np.float64(3.0))
np.save("complex.npy", np.zeros(3, dtype="<c8"))
with open("f4_c.npy", "rb") as f:
    whole = f.read()
with open("truncated.npy", "wb") as f:
    f.write(whole[:-5])
np.savez_compressed("named.npz", x=(base * 0.25).astype("<f4"), labels=np.arange(4))
np.savez("positional.npz", (base * 2.0), np.arange(4))               # arr_0 and arr_1, stored
np.savez("ambiguous.npz", a=np.zeros(2), b=np.ones(2))
