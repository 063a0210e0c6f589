#!/usr/bin/env node
// threat-exchange-verify.mjs: the offline verifier of threat-exchange audit exports
// (threat-exchange 0.1.0), one file that needs only Node.js 22 or newer (tested on 22 and 24):
//   node threat-exchange-verify.mjs export.zip --public-key key.pem
// Exit status 0: verified; 1: the export does not verify (the reason on stderr); 2: usage.
// Built by `npm run verifier:build` (verifier/build.js) with esbuild 0.28.2 from
// src/audit/offline-verifier/standalone.ts and the repository's src/; rebuilding gives the same bytes.
// Bundled packages, under their licences (MIT: permission notice at https://opensource.org/license/mit):
//   csv-parse 7.0.3 (MIT)
//   csv-stringify 6.9.0 (MIT)
//   pend 1.2.0 (MIT)
//   yauzl 3.4.0 (MIT)
import { createRequire as __createRequire } from 'node:module';
const require = __createRequire(import.meta.url);
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __require = /* @__PURE__ */ ((x) => typeof require !== "undefined" ? require : typeof Proxy !== "undefined" ? new Proxy(x, {
  get: (a, b) => (typeof require !== "undefined" ? require : a)[b]
}) : x)(function(x) {
  if (typeof require !== "undefined") return require.apply(this, arguments);
  throw Error('Dynamic require of "' + x + '" is not supported');
});
var __commonJS = (cb, mod) => function __require2() {
  try {
    return mod || (0, cb[__getOwnPropNames(cb)[0]])((mod = { exports: {} }).exports, mod), mod.exports;
  } catch (e) {
    throw mod = 0, e;
  }
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// node_modules/pend/index.js
var require_pend = __commonJS({
  "node_modules/pend/index.js"(exports, module) {
    module.exports = Pend;
    function Pend() {
      this.pending = 0;
      this.max = Infinity;
      this.listeners = [];
      this.waiting = [];
      this.error = null;
    }
    Pend.prototype.go = function(fn) {
      if (this.pending < this.max) {
        pendGo(this, fn);
      } else {
        this.waiting.push(fn);
      }
    };
    Pend.prototype.wait = function(cb) {
      if (this.pending === 0) {
        cb(this.error);
      } else {
        this.listeners.push(cb);
      }
    };
    Pend.prototype.hold = function() {
      return pendHold(this);
    };
    function pendHold(self) {
      self.pending += 1;
      var called = false;
      return onCb;
      function onCb(err) {
        if (called) throw new Error("callback called twice");
        called = true;
        self.error = self.error || err;
        self.pending -= 1;
        if (self.waiting.length > 0 && self.pending < self.max) {
          pendGo(self, self.waiting.shift());
        } else if (self.pending === 0) {
          var listeners = self.listeners;
          self.listeners = [];
          listeners.forEach(cbListener);
        }
      }
      function cbListener(listener) {
        listener(self.error);
      }
    }
    function pendGo(self, fn) {
      fn(pendHold(self));
    }
  }
});

// node_modules/yauzl/fd-slicer.js
var require_fd_slicer = __commonJS({
  "node_modules/yauzl/fd-slicer.js"(exports) {
    var fs = __require("fs");
    var util = __require("util");
    var stream = __require("stream");
    var Readable = stream.Readable;
    var PassThrough = stream.PassThrough;
    var Pend = require_pend();
    var EventEmitter = __require("events").EventEmitter;
    exports.BufferSlicer = BufferSlicer;
    exports.FdSlicer = FdSlicer;
    util.inherits(FdSlicer, EventEmitter);
    function FdSlicer(fd) {
      EventEmitter.call(this);
      this.fd = fd;
      this.pend = new Pend();
      this.pend.max = 1;
      this.refCount = 0;
    }
    FdSlicer.prototype.read = function(buffer, offset, length, position, callback) {
      var self = this;
      self.pend.go(function(cb) {
        fs.read(self.fd, buffer, offset, length, position, function(err, bytesRead, buffer2) {
          cb();
          callback(err, bytesRead, buffer2);
        });
      });
    };
    FdSlicer.prototype.createReadStream = function(options2) {
      return new ReadStream(this, options2);
    };
    FdSlicer.prototype.ref = function() {
      this.refCount += 1;
    };
    FdSlicer.prototype.unref = function() {
      var self = this;
      self.refCount -= 1;
      if (self.refCount < 0) throw new Error("invalid unref");
      if (self.refCount > 0) return;
      fs.close(self.fd, onCloseDone);
      function onCloseDone(err) {
        if (err) {
          self.emit("error", err);
        } else {
          self.emit("close");
        }
      }
    };
    util.inherits(ReadStream, Readable);
    function ReadStream(context, options2) {
      options2 = options2 || {};
      Readable.call(this, options2);
      this.context = context;
      this.context.ref();
      this.start = options2.start || 0;
      this.endOffset = options2.end;
      this.pos = this.start;
    }
    ReadStream.prototype._read = function(n) {
      var self = this;
      var toRead = Math.min(self._readableState.highWaterMark, n);
      if (self.endOffset != null) {
        toRead = Math.min(toRead, self.endOffset - self.pos);
      }
      if (toRead <= 0) {
        self.push(null);
        this._cleanup();
        return;
      }
      self.context.pend.go(function(cb) {
        var buffer = Buffer.allocUnsafe(toRead);
        fs.read(self.context.fd, buffer, 0, toRead, self.pos, function(err, bytesRead) {
          if (err) {
            self.destroy(err);
          } else if (bytesRead === 0) {
            self.push(null);
            self._cleanup();
          } else {
            self.pos += bytesRead;
            self.push(buffer.slice(0, bytesRead));
          }
          cb();
        });
      });
    };
    ReadStream.prototype._destroy = function(err, cb) {
      this._cleanup();
      cb(err);
    };
    ReadStream.prototype._cleanup = function() {
      if (this.context != null) {
        this.context.unref();
        this.context = null;
      }
    };
    util.inherits(BufferSlicer, EventEmitter);
    function BufferSlicer(buffer) {
      EventEmitter.call(this);
      this.refCount = 0;
      this.buffer = buffer;
    }
    BufferSlicer.prototype.read = function(buffer, offset, length, position, callback) {
      if (!(0 <= offset && offset <= buffer.length)) throw new RangeError("offset outside buffer: 0 <= " + offset + " <= " + buffer.length);
      if (position < 0) throw new RangeError("position is negative: " + position);
      if (offset + length > buffer.length) {
        length = buffer.length - offset;
      }
      if (position + length > this.buffer.length) {
        length = this.buffer.length - position;
      }
      if (length <= 0) {
        setImmediate(function() {
          callback(null, 0);
        });
        return;
      }
      this.buffer.copy(buffer, offset, position, position + length);
      setImmediate(function() {
        callback(null, length);
      });
    };
    BufferSlicer.prototype.createReadStream = function(options2) {
      options2 = options2 || {};
      var readStream = new PassThrough(options2);
      readStream.start = options2.start || 0;
      readStream.endOffset = options2.end;
      readStream.pos = readStream.endOffset || this.buffer.length;
      var entireSlice = this.buffer.slice(readStream.start, readStream.pos);
      var maxChunkSize = 65536;
      var offset = 0;
      while (true) {
        var nextOffset = offset + maxChunkSize;
        if (nextOffset >= entireSlice.length) {
          if (offset < entireSlice.length) {
            readStream.write(entireSlice.slice(offset, entireSlice.length));
          }
          break;
        }
        readStream.write(entireSlice.slice(offset, nextOffset));
        offset = nextOffset;
      }
      readStream.end();
      return readStream;
    };
    BufferSlicer.prototype.ref = function() {
      this.refCount += 1;
    };
    BufferSlicer.prototype.unref = function() {
      this.refCount -= 1;
      if (this.refCount < 0) {
        throw new Error("invalid unref");
      }
    };
  }
});

// node_modules/yauzl/crc32.js
var require_crc32 = __commonJS({
  "node_modules/yauzl/crc32.js"(exports, module) {
    var CRC_TABLE = new Int32Array([
      0,
      1996959894,
      3993919788,
      2567524794,
      124634137,
      1886057615,
      3915621685,
      2657392035,
      249268274,
      2044508324,
      3772115230,
      2547177864,
      162941995,
      2125561021,
      3887607047,
      2428444049,
      498536548,
      1789927666,
      4089016648,
      2227061214,
      450548861,
      1843258603,
      4107580753,
      2211677639,
      325883990,
      1684777152,
      4251122042,
      2321926636,
      335633487,
      1661365465,
      4195302755,
      2366115317,
      997073096,
      1281953886,
      3579855332,
      2724688242,
      1006888145,
      1258607687,
      3524101629,
      2768942443,
      901097722,
      1119000684,
      3686517206,
      2898065728,
      853044451,
      1172266101,
      3705015759,
      2882616665,
      651767980,
      1373503546,
      3369554304,
      3218104598,
      565507253,
      1454621731,
      3485111705,
      3099436303,
      671266974,
      1594198024,
      3322730930,
      2970347812,
      795835527,
      1483230225,
      3244367275,
      3060149565,
      1994146192,
      31158534,
      2563907772,
      4023717930,
      1907459465,
      112637215,
      2680153253,
      3904427059,
      2013776290,
      251722036,
      2517215374,
      3775830040,
      2137656763,
      141376813,
      2439277719,
      3865271297,
      1802195444,
      476864866,
      2238001368,
      4066508878,
      1812370925,
      453092731,
      2181625025,
      4111451223,
      1706088902,
      314042704,
      2344532202,
      4240017532,
      1658658271,
      366619977,
      2362670323,
      4224994405,
      1303535960,
      984961486,
      2747007092,
      3569037538,
      1256170817,
      1037604311,
      2765210733,
      3554079995,
      1131014506,
      879679996,
      2909243462,
      3663771856,
      1141124467,
      855842277,
      2852801631,
      3708648649,
      1342533948,
      654459306,
      3188396048,
      3373015174,
      1466479909,
      544179635,
      3110523913,
      3462522015,
      1591671054,
      702138776,
      2966460450,
      3352799412,
      1504918807,
      783551873,
      3082640443,
      3233442989,
      3988292384,
      2596254646,
      62317068,
      1957810842,
      3939845945,
      2647816111,
      81470997,
      1943803523,
      3814918930,
      2489596804,
      225274430,
      2053790376,
      3826175755,
      2466906013,
      167816743,
      2097651377,
      4027552580,
      2265490386,
      503444072,
      1762050814,
      4150417245,
      2154129355,
      426522225,
      1852507879,
      4275313526,
      2312317920,
      282753626,
      1742555852,
      4189708143,
      2394877945,
      397917763,
      1622183637,
      3604390888,
      2714866558,
      953729732,
      1340076626,
      3518719985,
      2797360999,
      1068828381,
      1219638859,
      3624741850,
      2936675148,
      906185462,
      1090812512,
      3747672003,
      2825379669,
      829329135,
      1181335161,
      3412177804,
      3160834842,
      628085408,
      1382605366,
      3423369109,
      3138078467,
      570562233,
      1426400815,
      3317316542,
      2998733608,
      733239954,
      1555261956,
      3268935591,
      3050360625,
      752459403,
      1541320221,
      2607071920,
      3965973030,
      1969922972,
      40735498,
      2617837225,
      3943577151,
      1913087877,
      83908371,
      2512341634,
      3803740692,
      2075208622,
      213261112,
      2463272603,
      3855990285,
      2094854071,
      198958881,
      2262029012,
      4057260610,
      1759359992,
      534414190,
      2176718541,
      4139329115,
      1873836001,
      414664567,
      2282248934,
      4279200368,
      1711684554,
      285281116,
      2405801727,
      4167216745,
      1634467795,
      376229701,
      2685067896,
      3608007406,
      1308918612,
      956543938,
      2808555105,
      3495958263,
      1231636301,
      1047427035,
      2932959818,
      3654703836,
      1088359270,
      936918e3,
      2847714899,
      3736837829,
      1202900863,
      817233897,
      3183342108,
      3401237130,
      1404277552,
      615818150,
      3134207493,
      3453421203,
      1423857449,
      601450431,
      3009837614,
      3294710456,
      1567103746,
      711928724,
      3020668471,
      3272380065,
      1510334235,
      755167117
    ]);
    function crc32(buf) {
      let crc = -1;
      for (let x of buf) {
        crc = CRC_TABLE[(crc ^ x) & 255] ^ crc >>> 8;
      }
      return (crc ^ -1) >>> 0;
    }
    module.exports = crc32;
  }
});

// node_modules/yauzl/index.js
var require_yauzl = __commonJS({
  "node_modules/yauzl/index.js"(exports) {
    var fs = __require("fs");
    var zlib = __require("zlib");
    var fd_slicer = require_fd_slicer();
    var util = __require("util");
    var EventEmitter = __require("events").EventEmitter;
    var Transform2 = __require("stream").Transform;
    var PassThrough = __require("stream").PassThrough;
    var Writable = __require("stream").Writable;
    var crc32 = typeof zlib.crc32 === "function" ? zlib.crc32 : require_crc32();
    exports.open = open;
    exports.fromFd = fromFd;
    exports.fromBuffer = fromBuffer;
    exports.fromRandomAccessReader = fromRandomAccessReader;
    exports.openPromise = openPromise;
    exports.fromFdPromise = fromFdPromise;
    exports.fromBufferPromise = fromBufferPromise;
    exports.fromRandomAccessReaderPromise = fromRandomAccessReaderPromise;
    exports.dosDateTimeToDate = dosDateTimeToDate;
    exports.getFileNameLowLevel = getFileNameLowLevel;
    exports.validateFileName = validateFileName;
    exports.parseExtraFields = parseExtraFields;
    exports.ZipFile = ZipFile;
    exports.Entry = Entry;
    exports.LocalFileHeader = LocalFileHeader;
    exports.RandomAccessReader = RandomAccessReader;
    function openPromise(path2, options2) {
      return new Promise((resolve, reject) => {
        open(path2, { ...options2, lazyEntries: true }, function(err, zipfile) {
          if (err) return reject(err);
          resolve(zipfile);
        });
      });
    }
    function fromFdPromise(fd, options2) {
      return new Promise((resolve, reject) => {
        fromFd(fd, { ...options2, lazyEntries: true }, function(err, zipfile) {
          if (err) return reject(err);
          resolve(zipfile);
        });
      });
    }
    function fromBufferPromise(buffer, options2) {
      return new Promise((resolve, reject) => {
        fromBuffer(buffer, { ...options2, lazyEntries: true }, function(err, zipfile) {
          if (err) return reject(err);
          resolve(zipfile);
        });
      });
    }
    function fromRandomAccessReaderPromise(reader, totalSize, options2) {
      return new Promise((resolve, reject) => {
        fromRandomAccessReader(reader, totalSize, { ...options2, lazyEntries: true }, function(err, zipfile) {
          if (err) return reject(err);
          resolve(zipfile);
        });
      });
    }
    function open(path2, options2, callback) {
      if (typeof options2 === "function") {
        callback = options2;
        options2 = null;
      }
      if (options2 == null) options2 = {};
      if (options2.autoClose == null) options2.autoClose = true;
      if (options2.lazyEntries == null) options2.lazyEntries = false;
      if (options2.decodeStrings == null) options2.decodeStrings = true;
      if (options2.validateEntrySizes == null) options2.validateEntrySizes = true;
      if (options2.strictFileNames == null) options2.strictFileNames = false;
      if (callback == null) callback = defaultCallback;
      fs.open(path2, "r", function(err, fd) {
        if (err) return callback(err);
        fromFd(fd, options2, function(err2, zipfile) {
          if (err2) fs.close(fd, defaultCallback);
          callback(err2, zipfile);
        });
      });
    }
    function fromFd(fd, options2, callback) {
      if (typeof options2 === "function") {
        callback = options2;
        options2 = null;
      }
      if (options2 == null) options2 = {};
      if (options2.autoClose == null) options2.autoClose = false;
      if (options2.lazyEntries == null) options2.lazyEntries = false;
      if (options2.decodeStrings == null) options2.decodeStrings = true;
      if (options2.validateEntrySizes == null) options2.validateEntrySizes = true;
      if (options2.strictFileNames == null) options2.strictFileNames = false;
      if (callback == null) callback = defaultCallback;
      fs.fstat(fd, function(err, stats) {
        if (err) return callback(err);
        var reader = new fd_slicer.FdSlicer(fd);
        fromRandomAccessReader(reader, stats.size, options2, callback);
      });
    }
    function fromBuffer(buffer, options2, callback) {
      if (typeof options2 === "function") {
        callback = options2;
        options2 = null;
      }
      if (options2 == null) options2 = {};
      options2.autoClose = false;
      if (options2.lazyEntries == null) options2.lazyEntries = false;
      if (options2.decodeStrings == null) options2.decodeStrings = true;
      if (options2.validateEntrySizes == null) options2.validateEntrySizes = true;
      if (options2.strictFileNames == null) options2.strictFileNames = false;
      var reader = new fd_slicer.BufferSlicer(buffer);
      fromRandomAccessReader(reader, buffer.length, options2, callback);
    }
    function fromRandomAccessReader(reader, totalSize, options2, callback) {
      if (typeof options2 === "function") {
        callback = options2;
        options2 = null;
      }
      if (options2 == null) options2 = {};
      if (options2.autoClose == null) options2.autoClose = true;
      if (options2.lazyEntries == null) options2.lazyEntries = false;
      if (options2.decodeStrings == null) options2.decodeStrings = true;
      var decodeStrings = !!options2.decodeStrings;
      if (options2.validateEntrySizes == null) options2.validateEntrySizes = true;
      if (options2.strictFileNames == null) options2.strictFileNames = false;
      if (callback == null) callback = defaultCallback;
      if (typeof totalSize !== "number") throw new Error("expected totalSize parameter to be a number");
      if (totalSize > Number.MAX_SAFE_INTEGER) {
        throw new Error("zip file too large. only file sizes up to 2^52 are supported due to JavaScript's Number type being an IEEE 754 double.");
      }
      reader.ref();
      var eocdrWithoutCommentSize = 22;
      var zip64EocdlSize = 20;
      var maxCommentSize = 65535;
      var bufferSize = Math.min(zip64EocdlSize + eocdrWithoutCommentSize + maxCommentSize, totalSize);
      var buffer = newBuffer(bufferSize);
      var bufferReadStart = totalSize - buffer.length;
      readAndAssertNoEof(reader, buffer, 0, bufferSize, bufferReadStart, function(err) {
        if (err) return callback(err);
        for (var i = bufferSize - eocdrWithoutCommentSize; i >= 0; i -= 1) {
          if (buffer.readUInt32LE(i) !== 101010256) continue;
          var eocdrBuffer = buffer.subarray(i);
          var diskNumber = eocdrBuffer.readUInt16LE(4);
          var entryCount = eocdrBuffer.readUInt16LE(10);
          var centralDirectoryOffset = eocdrBuffer.readUInt32LE(16);
          var commentLength = eocdrBuffer.readUInt16LE(20);
          var expectedCommentLength = eocdrBuffer.length - eocdrWithoutCommentSize;
          if (commentLength !== expectedCommentLength) {
            return callback(new Error("Invalid comment length. Expected: " + expectedCommentLength + ". Found: " + commentLength + ". Are there extra bytes at the end of the file? Or is the end of central dir signature `PK☺☻` in the comment?"));
          }
          var comment = decodeStrings ? decodeBuffer(eocdrBuffer.subarray(22), false) : eocdrBuffer.subarray(22);
          if (i - zip64EocdlSize >= 0 && buffer.readUInt32LE(i - zip64EocdlSize) === 117853008) {
            var zip64EocdlBuffer = buffer.subarray(i - zip64EocdlSize, i - zip64EocdlSize + zip64EocdlSize);
            var zip64EocdrOffset = readUInt64LE(zip64EocdlBuffer, 8);
            var zip64EocdrBuffer = newBuffer(56);
            return readAndAssertNoEof(reader, zip64EocdrBuffer, 0, zip64EocdrBuffer.length, zip64EocdrOffset, function(err2) {
              if (err2) return callback(err2);
              if (zip64EocdrBuffer.readUInt32LE(0) !== 101075792) {
                return callback(new Error("invalid zip64 end of central directory record signature"));
              }
              diskNumber = zip64EocdrBuffer.readUInt32LE(16);
              if (diskNumber !== 0) {
                return callback(new Error("multi-disk zip files are not supported: found disk number: " + diskNumber));
              }
              entryCount = readUInt64LE(zip64EocdrBuffer, 32);
              centralDirectoryOffset = readUInt64LE(zip64EocdrBuffer, 48);
              return callback(null, new ZipFile(reader, centralDirectoryOffset, totalSize, entryCount, comment, options2.autoClose, options2.lazyEntries, decodeStrings, options2.validateEntrySizes, options2.strictFileNames));
            });
          }
          if (diskNumber !== 0) {
            return callback(new Error("multi-disk zip files are not supported: found disk number: " + diskNumber));
          }
          return callback(null, new ZipFile(reader, centralDirectoryOffset, totalSize, entryCount, comment, options2.autoClose, options2.lazyEntries, decodeStrings, options2.validateEntrySizes, options2.strictFileNames));
        }
        callback(new Error("End of central directory record signature not found. Either not a zip file, or file is truncated."));
      });
    }
    util.inherits(ZipFile, EventEmitter);
    function ZipFile(reader, centralDirectoryOffset, fileSize, entryCount, comment, autoClose, lazyEntries, decodeStrings, validateEntrySizes, strictFileNames) {
      var self = this;
      EventEmitter.call(self);
      self.reader = reader;
      self.reader.on("error", function(err) {
        emitError(self, err);
      });
      self.reader.once("close", function() {
        self.emit("close");
      });
      self.readEntryCursor = centralDirectoryOffset;
      self.fileSize = fileSize;
      self.entryCount = entryCount;
      self.comment = comment;
      self.entriesRead = 0;
      self.autoClose = !!autoClose;
      self.lazyEntries = !!lazyEntries;
      self.decodeStrings = !!decodeStrings;
      self.validateEntrySizes = !!validateEntrySizes;
      self.strictFileNames = !!strictFileNames;
      self.isOpen = true;
      self.emittedError = false;
      self.hasEachEntryBeenCalled = false;
      if (!self.lazyEntries) self._readEntry();
    }
    ZipFile.prototype.close = function() {
      if (!this.isOpen) return;
      this.isOpen = false;
      this.reader.unref();
    };
    function emitErrorAndAutoClose(self, err) {
      if (self.autoClose) self.close();
      emitError(self, err);
    }
    function emitError(self, err) {
      if (self.emittedError) return;
      self.emittedError = true;
      self.emit("error", err);
    }
    ZipFile.prototype.readEntry = function() {
      if (!this.lazyEntries) throw new Error("readEntry() called without lazyEntries:true");
      this._readEntry();
    };
    ZipFile.prototype._readEntry = function() {
      var self = this;
      if (self.entryCount === self.entriesRead) {
        setImmediate(function() {
          if (self.autoClose) self.close();
          if (self.emittedError) return;
          self.emit("end");
        });
        return;
      }
      if (self.emittedError) return;
      var buffer = newBuffer(46);
      readAndAssertNoEof(self.reader, buffer, 0, buffer.length, self.readEntryCursor, function(err) {
        if (err) return emitErrorAndAutoClose(self, err);
        if (self.emittedError) return;
        var entry = new Entry();
        var signature = buffer.readUInt32LE(0);
        if (signature !== 33639248) return emitErrorAndAutoClose(self, new Error("invalid central directory file header signature: 0x" + signature.toString(16)));
        entry.versionMadeBy = buffer.readUInt16LE(4);
        entry.versionNeededToExtract = buffer.readUInt16LE(6);
        entry.generalPurposeBitFlag = buffer.readUInt16LE(8);
        entry.compressionMethod = buffer.readUInt16LE(10);
        entry.lastModFileTime = buffer.readUInt16LE(12);
        entry.lastModFileDate = buffer.readUInt16LE(14);
        entry.crc32 = buffer.readUInt32LE(16);
        entry.compressedSize = buffer.readUInt32LE(20);
        entry.uncompressedSize = buffer.readUInt32LE(24);
        entry.fileNameLength = buffer.readUInt16LE(28);
        entry.extraFieldLength = buffer.readUInt16LE(30);
        entry.fileCommentLength = buffer.readUInt16LE(32);
        entry.internalFileAttributes = buffer.readUInt16LE(36);
        entry.externalFileAttributes = buffer.readUInt32LE(38);
        entry.relativeOffsetOfLocalHeader = buffer.readUInt32LE(42);
        if (entry.generalPurposeBitFlag & 64) return emitErrorAndAutoClose(self, new Error("strong encryption is not supported"));
        self.readEntryCursor += 46;
        buffer = newBuffer(entry.fileNameLength + entry.extraFieldLength + entry.fileCommentLength);
        readAndAssertNoEof(self.reader, buffer, 0, buffer.length, self.readEntryCursor, function(err2) {
          if (err2) return emitErrorAndAutoClose(self, err2);
          if (self.emittedError) return;
          entry.fileNameRaw = buffer.subarray(0, entry.fileNameLength);
          var fileCommentStart = entry.fileNameLength + entry.extraFieldLength;
          entry.extraFieldRaw = buffer.subarray(entry.fileNameLength, fileCommentStart);
          entry.fileCommentRaw = buffer.subarray(fileCommentStart, fileCommentStart + entry.fileCommentLength);
          try {
            entry.extraFields = parseExtraFields(entry.extraFieldRaw);
          } catch (err3) {
            return emitErrorAndAutoClose(self, err3);
          }
          if (self.decodeStrings) {
            var isUtf8 = (entry.generalPurposeBitFlag & 2048) !== 0;
            entry.fileComment = decodeBuffer(entry.fileCommentRaw, isUtf8);
            entry.fileName = getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, self.strictFileNames);
            var errorMessage = validateFileName(entry.fileName);
            if (errorMessage != null) return emitErrorAndAutoClose(self, new Error(errorMessage));
          } else {
            entry.fileComment = entry.fileCommentRaw;
            entry.fileName = entry.fileNameRaw;
          }
          entry.comment = entry.fileComment;
          self.readEntryCursor += buffer.length;
          self.entriesRead += 1;
          for (var i = 0; i < entry.extraFields.length; i++) {
            var extraField = entry.extraFields[i];
            if (extraField.id !== 1) continue;
            var zip64EiefBuffer = extraField.data;
            var index = 0;
            if (entry.uncompressedSize === 4294967295) {
              if (index + 8 > zip64EiefBuffer.length) {
                return emitErrorAndAutoClose(self, new Error("zip64 extended information extra field does not include uncompressed size"));
              }
              entry.uncompressedSize = readUInt64LE(zip64EiefBuffer, index);
              index += 8;
            }
            if (entry.compressedSize === 4294967295) {
              if (index + 8 > zip64EiefBuffer.length) {
                return emitErrorAndAutoClose(self, new Error("zip64 extended information extra field does not include compressed size"));
              }
              entry.compressedSize = readUInt64LE(zip64EiefBuffer, index);
              index += 8;
            }
            if (entry.relativeOffsetOfLocalHeader === 4294967295) {
              if (index + 8 > zip64EiefBuffer.length) {
                return emitErrorAndAutoClose(self, new Error("zip64 extended information extra field does not include relative header offset"));
              }
              entry.relativeOffsetOfLocalHeader = readUInt64LE(zip64EiefBuffer, index);
              index += 8;
            }
            break;
          }
          if (self.validateEntrySizes && entry.compressionMethod === 0) {
            var expectedCompressedSize = entry.uncompressedSize;
            if (entry.isEncrypted()) {
              expectedCompressedSize += 12;
            }
            if (entry.compressedSize !== expectedCompressedSize) {
              var msg = "compressed/uncompressed size mismatch for stored file: " + entry.compressedSize + " != " + entry.uncompressedSize;
              return emitErrorAndAutoClose(self, new Error(msg));
            }
          }
          self.emit("entry", entry);
          if (!self.lazyEntries) self._readEntry();
        });
      });
    };
    ZipFile.prototype.eachEntry = function() {
      const self = this;
      if (!self.lazyEntries) throw new Error("eachEntry() requires lazyEntries: true");
      if (self.hasEachEntryBeenCalled) throw new Error("eachEntry() must only be called once per ZipFile");
      self.hasEachEntryBeenCalled = true;
      let pendingResolveReject = null;
      self.on("entry", onEntry);
      self.on("end", onEnd);
      self.on("error", onError);
      function cleanup() {
        self.removeListener("entry", onEntry);
        self.removeListener("end", onEnd);
        self.removeListener("error", onError);
        if (self.autoClose) self.close();
      }
      function onEntry(entry) {
        let { resolve } = pendingResolveReject;
        pendingResolveReject = null;
        resolve({ value: entry });
      }
      function onEnd() {
        let { resolve } = pendingResolveReject;
        pendingResolveReject = null;
        cleanup();
        resolve({ done: true });
      }
      function onError(err) {
        let { reject } = pendingResolveReject;
        pendingResolveReject = null;
        cleanup();
        reject(err);
      }
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        next() {
          const promise = new Promise((resolve, reject) => {
            if (pendingResolveReject != null) throw new Error("next() called before previous Promise was resolved.");
            pendingResolveReject = { resolve, reject };
          });
          self.readEntry();
          return promise;
        },
        return(value) {
          cleanup();
          return Promise.resolve({ done: true, value });
        },
        throw(value) {
          cleanup();
          return Promise.reject(value);
        }
      };
    };
    ZipFile.prototype.openReadStream = function(entry, options2, callback) {
      var self = this;
      var relativeStart = 0;
      var relativeEnd = entry.compressedSize;
      if (callback == null) {
        callback = options2;
        options2 = null;
      }
      if (options2 == null) {
        options2 = {};
      } else {
        if (options2.decodeFileData === false) {
          if (options2.decrypt != null) {
            throw new Error("cannot use options.decrypt when options.decodeFileData === false");
          }
          if (options2.decompress != null) {
            throw new Error("cannot use options.decompress when options.decodeFileData === false");
          }
        } else {
          if (options2.decrypt != null) {
            if (!entry.isEncrypted()) {
              throw new Error("options.decrypt can only be specified for encrypted entries. See also option decodeFileData.");
            }
            if (options2.decrypt !== false) throw new Error("invalid options.decrypt value: " + options2.decrypt);
            if (entry.isCompressed()) {
              if (options2.decompress !== false) throw new Error("entry is encrypted and compressed, and options.decompress !== false. See also option decodeFileData.");
            }
          }
          if (options2.decompress != null) {
            if (!entry.isCompressed()) {
              throw new Error("options.decompress can only be specified for compressed entries. See also option decodeFileData.");
            }
            if (!(options2.decompress === false || options2.decompress === true)) {
              throw new Error("invalid options.decompress value: " + options2.decompress);
            }
            decompress = options2.decompress;
          }
        }
        if (options2.start != null) {
          relativeStart = options2.start;
          if (relativeStart < 0) throw new Error("options.start < 0");
          if (relativeStart > entry.compressedSize) throw new Error("options.start > entry.compressedSize");
        }
        if (options2.end != null) {
          relativeEnd = options2.end;
          if (relativeEnd < 0) throw new Error("options.end < 0");
          if (relativeEnd > entry.compressedSize) throw new Error("options.end > entry.compressedSize");
          if (relativeEnd < relativeStart) throw new Error("options.end < options.start");
        }
      }
      var rawMode = options2.decodeFileData === false || // Explicitly requested raw.
      (entry.compressionMethod === 0 || // Naturally without compression.
      entry.compressionMethod === 8 && options2.decompress === false) && (!entry.isEncrypted() || // Naturally without encryption.
      options2.decrypt === false);
      if (options2.start != null || options2.end != null) {
        if (!rawMode) throw new Error("start/end range require options.decodeFileData === false for non-trivial encoded entries.");
      }
      if (!self.isOpen) return callback(new Error("closed"));
      if (entry.isEncrypted() && !rawMode) {
        if (options2.decrypt !== false) return callback(new Error("entry is encrypted, and options.decodeFileData !== false"));
      }
      var decompress;
      if (rawMode) {
        decompress = false;
      } else if (entry.compressionMethod === 8) {
        decompress = options2.decodeFileData !== true;
      } else {
        return callback(new Error("unsupported compression method: " + entry.compressionMethod));
      }
      self.readLocalFileHeader(entry, { minimal: true }, function(err, localFileHeader) {
        if (err) return callback(err);
        self.openReadStreamLowLevel(
          localFileHeader.fileDataStart,
          entry.compressedSize,
          relativeStart,
          relativeEnd,
          decompress,
          entry.uncompressedSize,
          callback
        );
      });
    };
    ZipFile.prototype.openReadStreamLowLevel = function(fileDataStart, compressedSize, relativeStart, relativeEnd, decompress, uncompressedSize, callback) {
      var self = this;
      var fileDataEnd = fileDataStart + compressedSize;
      var readStream = self.reader.createReadStream({
        start: fileDataStart + relativeStart,
        end: fileDataStart + relativeEnd
      });
      var endpointStream = readStream;
      if (decompress) {
        var destroyed = false;
        var inflateFilter = zlib.createInflateRaw();
        readStream.on("error", function(err) {
          setImmediate(function() {
            if (!destroyed) inflateFilter.emit("error", err);
          });
        });
        readStream.pipe(inflateFilter);
        if (self.validateEntrySizes) {
          endpointStream = new AssertByteCountStream(uncompressedSize);
          inflateFilter.on("error", function(err) {
            setImmediate(function() {
              if (!destroyed) endpointStream.emit("error", err);
            });
          });
          inflateFilter.pipe(endpointStream);
        } else {
          endpointStream = inflateFilter;
        }
        installDestroyFn(endpointStream, function() {
          destroyed = true;
          if (inflateFilter !== endpointStream) inflateFilter.unpipe(endpointStream);
          readStream.unpipe(inflateFilter);
          readStream.destroy();
        });
      }
      callback(null, endpointStream);
    };
    ZipFile.prototype.readLocalFileHeader = function(entry, options2, callback) {
      var self = this;
      if (callback == null) {
        callback = options2;
        options2 = null;
      }
      if (options2 == null) options2 = {};
      self.reader.ref();
      var buffer = newBuffer(30);
      readAndAssertNoEof(self.reader, buffer, 0, buffer.length, entry.relativeOffsetOfLocalHeader, function(err) {
        try {
          if (err) return callback(err);
          var signature = buffer.readUInt32LE(0);
          if (signature !== 67324752) {
            return callback(new Error("invalid local file header signature: 0x" + signature.toString(16)));
          }
          var fileNameLength = buffer.readUInt16LE(26);
          var extraFieldLength = buffer.readUInt16LE(28);
          var fileDataStart = entry.relativeOffsetOfLocalHeader + 30 + fileNameLength + extraFieldLength;
          if (fileDataStart + entry.compressedSize > self.fileSize) {
            return callback(new Error("file data overflows file bounds: " + fileDataStart + " + " + entry.compressedSize + " > " + self.fileSize));
          }
          if (options2.minimal) {
            return callback(null, { fileDataStart });
          }
          var localFileHeader = new LocalFileHeader();
          localFileHeader.fileDataStart = fileDataStart;
          localFileHeader.versionNeededToExtract = buffer.readUInt16LE(4);
          localFileHeader.generalPurposeBitFlag = buffer.readUInt16LE(6);
          localFileHeader.compressionMethod = buffer.readUInt16LE(8);
          localFileHeader.lastModFileTime = buffer.readUInt16LE(10);
          localFileHeader.lastModFileDate = buffer.readUInt16LE(12);
          localFileHeader.crc32 = buffer.readUInt32LE(14);
          localFileHeader.compressedSize = buffer.readUInt32LE(18);
          localFileHeader.uncompressedSize = buffer.readUInt32LE(22);
          localFileHeader.fileNameLength = fileNameLength;
          localFileHeader.extraFieldLength = extraFieldLength;
          buffer = newBuffer(fileNameLength + extraFieldLength);
          self.reader.ref();
          readAndAssertNoEof(self.reader, buffer, 0, buffer.length, entry.relativeOffsetOfLocalHeader + 30, function(err2) {
            try {
              if (err2) return callback(err2);
              localFileHeader.fileName = buffer.subarray(0, fileNameLength);
              localFileHeader.extraField = buffer.subarray(fileNameLength);
              return callback(null, localFileHeader);
            } finally {
              self.reader.unref();
            }
          });
        } finally {
          self.reader.unref();
        }
      });
    };
    ZipFile.prototype.openReadStreamPromise = function(entry, options2) {
      return new Promise((resolve, reject) => {
        this.openReadStream(entry, options2, function(err, readStream) {
          if (err) return reject(err);
          resolve(readStream);
        });
      });
    };
    ZipFile.prototype.openReadStreamLowLevelPromise = function(fileDataStart, compressedSize, relativeStart, relativeEnd, decompress, uncompressedSize) {
      return new Promise((resolve, reject) => {
        this.openReadStream(fileDataStart, compressedSize, relativeStart, relativeEnd, decompress, uncompressedSize, function(err, readStream) {
          if (err) return reject(err);
          resolve(readStream);
        });
      });
    };
    ZipFile.prototype.readLocalFileHeaderPromise = function(entry, options2) {
      return new Promise((resolve, reject) => {
        this.readLocalFileHeader(entry, options2, function(err, localFileHeader) {
          if (err) return reject(err);
          resolve(localFileHeader);
        });
      });
    };
    function Entry() {
    }
    Entry.prototype.getLastModDate = function(options2) {
      if (options2 == null) options2 = {};
      if (!options2.forceDosFormat) {
        for (var i = 0; i < this.extraFields.length; i++) {
          var extraField = this.extraFields[i];
          if (extraField.id === 21589) {
            var data = extraField.data;
            if (data.length < 5) continue;
            var flags = data[0];
            var HAS_MTIME = 1;
            if (!(flags & HAS_MTIME)) continue;
            var posixTimestamp = data.readInt32LE(1);
            return new Date(posixTimestamp * 1e3);
          } else if (extraField.id === 10) {
            var data = extraField.data;
            if (data.length !== 32) continue;
            if (data.readUInt16LE(4) !== 1) continue;
            if (data.readUInt16LE(6) !== 24) continue;
            var hundredNanoSecondsSince1601 = data.readUInt32LE(8) + 4294967296 * data.readInt32LE(12);
            var millisecondsSince1970 = hundredNanoSecondsSince1601 / 1e4 - 116444736e5;
            return new Date(millisecondsSince1970);
          }
        }
      }
      return dosDateTimeToDate(this.lastModFileDate, this.lastModFileTime, options2.timezone);
    };
    Entry.prototype.canDecodeFileData = function() {
      return !this.isEncrypted() && (this.compressionMethod === 0 || this.compressionMethod === 8);
    };
    Entry.prototype.isEncrypted = function() {
      return (this.generalPurposeBitFlag & 1) !== 0;
    };
    Entry.prototype.isCompressed = function() {
      return this.compressionMethod === 8;
    };
    function LocalFileHeader() {
    }
    function dosDateTimeToDate(date, time, timezone) {
      var day = date & 31;
      var month = (date >> 5 & 15) - 1;
      var year = (date >> 9 & 127) + 1980;
      var millisecond = 0;
      var second = (time & 31) * 2;
      var minute = time >> 5 & 63;
      var hour = time >> 11 & 31;
      if (timezone == null || timezone === "local") {
        return new Date(year, month, day, hour, minute, second, millisecond);
      } else if (timezone === "UTC") {
        return new Date(Date.UTC(year, month, day, hour, minute, second, millisecond));
      } else {
        throw new Error("unrecognized options.timezone: " + options.timezone);
      }
    }
    function getFileNameLowLevel(generalPurposeBitFlag, fileNameBuffer, extraFields, strictFileNames) {
      var fileName = null;
      for (var i = 0; i < extraFields.length; i++) {
        var extraField = extraFields[i];
        if (extraField.id === 28789) {
          if (extraField.data.length < 6) {
            continue;
          }
          if (extraField.data.readUInt8(0) !== 1) {
            continue;
          }
          var oldNameCrc32 = extraField.data.readUInt32LE(1);
          if (crc32(fileNameBuffer) !== oldNameCrc32) {
            continue;
          }
          fileName = decodeBuffer(extraField.data.subarray(5), true);
          break;
        }
      }
      if (fileName == null) {
        var isUtf8 = (generalPurposeBitFlag & 2048) !== 0;
        fileName = decodeBuffer(fileNameBuffer, isUtf8);
      }
      if (!strictFileNames) {
        fileName = fileName.replace(/\\/g, "/");
      }
      return fileName;
    }
    function validateFileName(fileName) {
      if (fileName.indexOf("\\") !== -1) {
        return "invalid characters in fileName: " + fileName;
      }
      if (/^[a-zA-Z]:/.test(fileName) || /^\//.test(fileName)) {
        return "absolute path: " + fileName;
      }
      if (fileName.split("/").indexOf("..") !== -1) {
        return "invalid relative path: " + fileName;
      }
      return null;
    }
    function parseExtraFields(extraFieldBuffer) {
      var extraFields = [];
      var i = 0;
      while (i < extraFieldBuffer.length - 3) {
        var headerId = extraFieldBuffer.readUInt16LE(i + 0);
        var dataSize = extraFieldBuffer.readUInt16LE(i + 2);
        var dataStart = i + 4;
        var dataEnd = dataStart + dataSize;
        if (dataEnd > extraFieldBuffer.length) throw new Error("extra field length exceeds extra field buffer size");
        var dataBuffer = extraFieldBuffer.subarray(dataStart, dataEnd);
        extraFields.push({
          id: headerId,
          data: dataBuffer
        });
        i = dataEnd;
      }
      return extraFields;
    }
    function readAndAssertNoEof(reader, buffer, offset, length, position, callback) {
      if (length === 0) {
        return setImmediate(function() {
          callback(null, newBuffer(0));
        });
      }
      reader.read(buffer, offset, length, position, function(err, bytesRead) {
        if (err) return callback(err);
        if (bytesRead < length) {
          return callback(new Error("unexpected EOF"));
        }
        callback();
      });
    }
    util.inherits(AssertByteCountStream, Transform2);
    function AssertByteCountStream(byteCount) {
      Transform2.call(this);
      this.actualByteCount = 0;
      this.expectedByteCount = byteCount;
    }
    AssertByteCountStream.prototype._transform = function(chunk, encoding, cb) {
      this.actualByteCount += chunk.length;
      if (this.actualByteCount > this.expectedByteCount) {
        var msg = "too many bytes in the stream. expected " + this.expectedByteCount + ". got at least " + this.actualByteCount;
        return cb(new Error(msg));
      }
      cb(null, chunk);
    };
    AssertByteCountStream.prototype._flush = function(cb) {
      if (this.actualByteCount < this.expectedByteCount) {
        var msg = "not enough bytes in the stream. expected " + this.expectedByteCount + ". got only " + this.actualByteCount;
        return cb(new Error(msg));
      }
      cb();
    };
    util.inherits(RandomAccessReader, EventEmitter);
    function RandomAccessReader() {
      EventEmitter.call(this);
      this.refCount = 0;
    }
    RandomAccessReader.prototype.ref = function() {
      this.refCount += 1;
    };
    RandomAccessReader.prototype.unref = function() {
      var self = this;
      self.refCount -= 1;
      if (self.refCount > 0) return;
      if (self.refCount < 0) throw new Error("invalid unref");
      self.close(onCloseDone);
      function onCloseDone(err) {
        if (err) return self.emit("error", err);
        self.emit("close");
      }
    };
    RandomAccessReader.prototype.createReadStream = function(options2) {
      if (options2 == null) options2 = {};
      var start = options2.start;
      var end = options2.end;
      if (start === end) {
        var emptyStream = new PassThrough();
        setImmediate(function() {
          emptyStream.end();
        });
        return emptyStream;
      }
      var stream = this._readStreamForRange(start, end);
      var destroyed = false;
      var refUnrefFilter = new RefUnrefFilter(this);
      stream.on("error", function(err) {
        setImmediate(function() {
          if (!destroyed) refUnrefFilter.emit("error", err);
        });
      });
      installDestroyFn(refUnrefFilter, function() {
        stream.unpipe(refUnrefFilter);
        refUnrefFilter.unref();
        stream.destroy();
      });
      var byteCounter = new AssertByteCountStream(end - start);
      refUnrefFilter.on("error", function(err) {
        setImmediate(function() {
          if (!destroyed) byteCounter.emit("error", err);
        });
      });
      installDestroyFn(byteCounter, function() {
        destroyed = true;
        refUnrefFilter.unpipe(byteCounter);
        refUnrefFilter.destroy();
      });
      return stream.pipe(refUnrefFilter).pipe(byteCounter);
    };
    RandomAccessReader.prototype._readStreamForRange = function(start, end) {
      throw new Error("not implemented");
    };
    RandomAccessReader.prototype.read = function(buffer, offset, length, position, callback) {
      var readStream = this.createReadStream({ start: position, end: position + length });
      var writeStream = new Writable();
      var written = 0;
      writeStream._write = function(chunk, encoding, cb) {
        chunk.copy(buffer, offset + written, 0, chunk.length);
        written += chunk.length;
        cb();
      };
      writeStream.on("finish", callback);
      readStream.on("error", function(error) {
        callback(error);
      });
      readStream.pipe(writeStream);
    };
    RandomAccessReader.prototype.close = function(callback) {
      setImmediate(callback);
    };
    util.inherits(RefUnrefFilter, PassThrough);
    function RefUnrefFilter(context) {
      PassThrough.call(this);
      this.context = context;
      this.context.ref();
      this.unreffedYet = false;
    }
    RefUnrefFilter.prototype._flush = function(cb) {
      this.unref();
      cb();
    };
    RefUnrefFilter.prototype.unref = function(cb) {
      if (this.unreffedYet) return;
      this.unreffedYet = true;
      this.context.unref();
    };
    var cp437 = "\0☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼ !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ";
    function decodeBuffer(buffer, isUtf8) {
      if (isUtf8) {
        return buffer.toString("utf8");
      } else {
        var result = "";
        for (var i = 0; i < buffer.length; i++) {
          result += cp437[buffer[i]];
        }
        return result;
      }
    }
    function readUInt64LE(buffer, offset) {
      var lower32 = buffer.readUInt32LE(offset);
      var upper32 = buffer.readUInt32LE(offset + 4);
      return upper32 * 4294967296 + lower32;
    }
    var newBuffer;
    if (typeof Buffer.allocUnsafe === "function") {
      newBuffer = function(len) {
        return Buffer.allocUnsafe(len);
      };
    } else {
      newBuffer = function(len) {
        return new Buffer(len);
      };
    }
    function installDestroyFn(stream, fn) {
      if (typeof stream.destroy === "function") {
        stream._destroy = function(err, cb) {
          fn();
          if (cb != null) cb(err);
        };
      } else {
        stream.destroy = fn;
      }
    }
    function defaultCallback(err) {
      if (err) throw err;
    }
  }
});

// src/audit/offline-verifier/cli.ts
import { createPublicKey } from "node:crypto";
import { readFile, stat as stat2 } from "node:fs/promises";
import { parseArgs } from "node:util";

// src/audit/trail/chain.ts
import { createHash, sign, verify } from "node:crypto";

// src/platform/json/canonical-json.ts
function canonicalJson(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`JCS cannot represent ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value;
    const keys = Object.keys(record).filter((k) => record[k] !== void 0).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
  }
  throw new TypeError(`JCS cannot represent a ${typeof value}`);
}

// src/audit/trail/chain.ts
var CHAIN_FORMAT = 1;
var GENESIS_HASH = Buffer.alloc(32);
function eventBytes(event) {
  return canonicalJson({
    v: CHAIN_FORMAT,
    at: event.at,
    actorType: event.actorType,
    actorId: event.actorId,
    organizationId: event.organizationId,
    roles: event.roles,
    action: event.action,
    objectType: event.objectType,
    objectId: event.objectId,
    summary: event.summary,
    requestId: event.requestId,
    clientIp: event.clientIp
  });
}
function eventDigest(event) {
  return createHash("sha256").update(eventBytes(event)).digest();
}
function chainHash(previous, digest) {
  return createHash("sha256").update(previous).update(digest).digest();
}
function checkpointBytes(checkpoint) {
  const { v, size, head, time, keyId } = checkpoint;
  return Buffer.from(canonicalJson({ v, size, head, time, keyId }));
}
function checkpointSignatureValid(checkpoint, publicKey) {
  return verify(
    null,
    checkpointBytes(checkpoint),
    publicKey,
    Buffer.from(checkpoint.sig, "base64url")
  );
}
function auditKeyId(publicKey) {
  const { crv, kty, x } = publicKey.export({ format: "jwk" });
  return createHash("sha256").update(canonicalJson({ crv, kty, x })).digest("base64url");
}
var HEX64 = /^[0-9a-f]{64}$/;
function parseCheckpoint(value) {
  const c = typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};
  const { size, head, time, keyId, sig } = c;
  if (c.v !== CHAIN_FORMAT || typeof size !== "number" || !Number.isSafeInteger(size) || size < 0 || typeof head !== "string" || !HEX64.test(head) || typeof time !== "string" || typeof keyId !== "string" || typeof sig !== "string") {
    throw new TypeError(
      "not a signed audit checkpoint: {v: 1, size, head (64 hex digits), time, keyId, sig}"
    );
  }
  return { v: CHAIN_FORMAT, size, head, time, keyId, sig };
}
function decodeCheckpointHeader(value) {
  return parseCheckpoint(JSON.parse(Buffer.from(value, "base64url").toString("utf8")));
}
function documentSignatureValid(document, signature, publicKey) {
  return verify(
    null,
    Buffer.from(canonicalJson(document)),
    publicKey,
    Buffer.from(signature, "base64url")
  );
}
var ChainWalk = class {
  previousHash;
  expected;
  constructor(previous = GENESIS_HASH, firstSeq = 1) {
    this.previousHash = previous;
    this.expected = firstSeq;
  }
  /** The last seq walked (0 before the first). */
  get size() {
    return this.expected - 1;
  }
  /** The hash after the last event walked. */
  get head() {
    return this.previousHash;
  }
  event(seq, fields, digest, hash) {
    if (seq > this.expected) {
      const missing = seq - this.expected === 1 ? `event ${this.expected} is missing` : `events ${this.expected}–${seq - 1} are missing`;
      return {
        kind: "gap",
        seq: this.expected,
        message: `${missing} (deleted?): the sequence jumps from ${this.expected - 1} to ${seq}`
      };
    }
    if (seq < this.expected) {
      return {
        kind: "order",
        seq,
        message: `event ${seq} appears again after event ${this.expected - 1}`
      };
    }
    if (fields !== void 0 && !eventDigest(fields).equals(digest)) {
      return {
        kind: "content",
        seq,
        message: `event ${seq} was altered: its content does not match its digest`
      };
    }
    const linked = chainHash(this.previousHash, digest);
    if (!linked.equals(hash)) {
      return {
        kind: "link",
        seq,
        message: `event ${seq} does not follow event ${seq - 1}: its hash is not SHA-256(hash ${seq - 1} ‖ digest ${seq}) (events swapped, reordered or relinked)`
      };
    }
    this.previousHash = linked;
    this.expected = seq + 1;
    return void 0;
  }
  /** Checks a signed checkpoint against the walk once it reached the checkpoint's size. */
  checkpoint(checkpoint, hashAtSize) {
    if (hashAtSize === void 0) {
      return {
        kind: "truncated",
        seq: this.expected,
        message: `the chain ends at event ${this.expected - 1} but the checkpoint signed at ${checkpoint.time} covers ${checkpoint.size} events: events ${this.expected}–${checkpoint.size} are missing (truncated)`
      };
    }
    if (hashAtSize.toString("hex") !== checkpoint.head) {
      return {
        kind: "checkpoint",
        seq: checkpoint.size,
        message: `the hash at event ${checkpoint.size} differs from the head signed in the checkpoint of ${checkpoint.time}: events up to ${checkpoint.size} were rewritten`
      };
    }
    return void 0;
  }
};

// src/audit/offline-verifier/verify-export.ts
import { createHash as createHash2 } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";

// node_modules/csv-parse/lib/index.js
import { Transform } from "stream";

// node_modules/csv-parse/lib/utils/is_object.js
var is_object = function(obj) {
  return typeof obj === "object" && obj !== null && !Array.isArray(obj);
};

// node_modules/csv-parse/lib/api/CsvError.js
var CsvError = class _CsvError extends Error {
  constructor(code, message, options2, ...contexts) {
    if (Array.isArray(message)) message = message.join(" ").trim();
    super(message);
    if (Error.captureStackTrace !== void 0) {
      Error.captureStackTrace(this, _CsvError);
    }
    this.code = code;
    for (const context of contexts) {
      for (const key in context) {
        const value = context[key];
        this[key] = Buffer.isBuffer(value) ? value.toString(options2.encoding) : value == null ? value : JSON.parse(JSON.stringify(value));
      }
    }
  }
};

// node_modules/csv-parse/lib/api/normalize_columns_array.js
var normalize_columns_array = function(columns) {
  const normalizedColumns = [];
  for (let i = 0, l = columns.length; i < l; i++) {
    const column = columns[i];
    if (column === void 0 || column === null || column === false) {
      normalizedColumns[i] = { disabled: true };
    } else if (typeof column === "string" || typeof column === "number") {
      normalizedColumns[i] = { name: `${column}` };
    } else if (is_object(column)) {
      if (typeof column.name !== "string") {
        throw new CsvError("CSV_OPTION_COLUMNS_MISSING_NAME", [
          "Option columns missing name:",
          `property "name" is required at position ${i}`,
          "when column is an object literal"
        ]);
      }
      normalizedColumns[i] = column;
    } else {
      throw new CsvError("CSV_INVALID_COLUMN_DEFINITION", [
        "Invalid column definition:",
        "expect a string or a literal object,",
        `got ${JSON.stringify(column)} at position ${i}`
      ]);
    }
  }
  return normalizedColumns;
};

// node_modules/csv-parse/lib/utils/ResizeableBuffer.js
var ResizeableBuffer = class {
  constructor(size = 100) {
    this.size = size;
    this.length = 0;
    this.buf = Buffer.allocUnsafe(size);
  }
  prepend(val) {
    if (Buffer.isBuffer(val)) {
      const length = this.length + val.length;
      if (length >= this.size) {
        this.resize();
        if (length >= this.size) {
          throw Error("INVALID_BUFFER_STATE");
        }
      }
      const buf = this.buf;
      this.buf = Buffer.allocUnsafe(this.size);
      val.copy(this.buf, 0);
      buf.copy(this.buf, val.length);
      this.length += val.length;
    } else {
      const length = this.length++;
      if (length === this.size) {
        this.resize();
      }
      const buf = this.clone();
      this.buf[0] = val;
      buf.copy(this.buf, 1, 0, length);
    }
  }
  append(val) {
    const length = this.length++;
    if (length === this.size) {
      this.resize();
    }
    this.buf[length] = val;
  }
  clone() {
    return Buffer.from(this.buf.slice(0, this.length));
  }
  resize() {
    const length = this.length;
    this.size = this.size * 2;
    const buf = Buffer.allocUnsafe(this.size);
    this.buf.copy(buf, 0, 0, length);
    this.buf = buf;
  }
  toString(encoding) {
    if (encoding) {
      return this.buf.toString(encoding, 0, this.length);
    } else {
      return Uint8Array.prototype.slice.call(this.buf.slice(0, this.length));
    }
  }
  toJSON() {
    return this.toString("utf8");
  }
  reset() {
    this.length = 0;
  }
};
var ResizeableBuffer_default = ResizeableBuffer;

// node_modules/csv-parse/lib/api/init_state.js
var init_state = function(options2) {
  const timchars = [
    // Basic Latin
    32,
    // [Space](https://www.fileformat.info/info/unicode/char/0020/index.htm)
    9,
    // [CHARACTER TABULATION (HT)](https://www.fileformat.info/info/unicode/char/0009/index.htm)
    10,
    // [LINE FEED (LF)](https://www.fileformat.info/info/unicode/char/000a/index.htm)
    13,
    // [CARRIAGE RETURN (CR)](https://www.fileformat.info/info/unicode/char/000d/index.htm)
    12,
    // [FORM FEED (FF)](https://www.fileformat.info/info/unicode/char/000c/index.htm)
    11,
    // [LINE TABULATION (VT)](https://www.fileformat.info/info/unicode/char/000b/index.htm)
    // Latin-1 Supplement
    160,
    // [NO-BREAK SPACE (NBSP)](https://www.fileformat.info/info/unicode/char/00a0/index.htm)
    // Ogham
    5760,
    // [OGHAM SPACE MARK](https://www.fileformat.info/info/unicode/char/1680/index.htm)
    // General Punctuation
    8192,
    // [EN QUAD](https://www.fileformat.info/info/unicode/char/2000/index.htm)
    8193,
    // [EM QUAD](https://www.fileformat.info/info/unicode/char/2001/index.htm)
    8194,
    // [EN SPACE](https://www.fileformat.info/info/unicode/char/2002/index.htm)
    8195,
    // [EM SPACE](https://www.fileformat.info/info/unicode/char/2003/index.htm)
    8196,
    // [THREE-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2004/index.htm)
    8197,
    // [FOUR-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2005/index.htm)
    8198,
    // [SIX-PER-EM SPACE](https://www.fileformat.info/info/unicode/char/2006/index.htm)
    8199,
    // [FIGURE SPACE](https://www.fileformat.info/info/unicode/char/2007/index.htm)
    8200,
    // [PUNCTUATION SPACE](https://www.fileformat.info/info/unicode/char/2008/index.htm)
    8201,
    // [THIN SPACE](https://www.fileformat.info/info/unicode/char/2009/index.htm)
    8202,
    // [HAIR SPACE](https://www.fileformat.info/info/unicode/char/200a/index.htm)
    8232,
    // [LINE SEPARATOR](https://www.fileformat.info/info/unicode/char/2028/index.htm)
    8233,
    // [PARAGRAPH SEPARATOR](https://www.fileformat.info/info/unicode/char/2029/index.htm)
    8239,
    // [NARROW NO-BREAK SPACE (NNBSP)](https://www.fileformat.info/info/unicode/char/202f/index.htm)
    8287,
    // [MEDIUM MATHEMATICAL SPACE (MMSP)](https://www.fileformat.info/info/unicode/char/205f/index.htm)
    12288,
    // [IDEOGRAPHIC SPACE](https://www.fileformat.info/info/unicode/char/3000/index.htm)
    65279
    // [ZERO WIDTH NO-BREAK SPACE (BOM)](https://www.fileformat.info/info/unicode/char/feff/index.htm)
  ].reduce((acc, codepoint) => {
    const encoded = Buffer.from(
      String.fromCharCode(codepoint),
      options2.encoding
    );
    if (codepoint !== 63 && encoded.length === 1 && encoded[0] === 63) {
      return acc;
    }
    acc.push(encoded);
    return acc;
  }, []);
  const timcharFirstBytes = new Uint8Array(256);
  for (const t of timchars) timcharFirstBytes[t[0]] = 1;
  return {
    bomSkipped: false,
    bufBytesStart: 0,
    castField: options2.cast_function,
    commenting: false,
    delimiterBufPrevious: void 0,
    delimiterDiscovered: false,
    // Current error encountered by a record
    error: void 0,
    enabled: options2.from_line === 1,
    escaping: false,
    escapeIsQuote: Buffer.isBuffer(options2.escape) && Buffer.isBuffer(options2.quote) && Buffer.compare(options2.escape, options2.quote) === 0,
    // columns can be `false`, `true`, `Array`
    expectedRecordLength: Array.isArray(options2.columns) ? options2.columns.length : void 0,
    field: new ResizeableBuffer_default(20),
    firstLineToHeaders: options2.cast_first_line_to_header,
    needMoreDataSize: Math.max(
      // Skip if the remaining buffer smaller than comment
      options2.comment !== null ? options2.comment.length : 0,
      ...options2.delimiter ? options2.delimiter.map((delimiter) => delimiter.length) : [],
      // Auto discovery of delimiter is limited to 1 character
      options2.delimiter_auto ? 1 : 0,
      // Skip if the remaining buffer can be escape sequence
      options2.quote !== null ? options2.quote.length : 0,
      ...timchars.map((t) => t.length)
    ),
    previousBuf: void 0,
    quoting: false,
    stop: false,
    rawBuffer: new ResizeableBuffer_default(100),
    record: [],
    recordHasError: false,
    record_length: 0,
    recordDelimiterMaxLength: options2.record_delimiter.length === 0 ? 0 : Math.max(...options2.record_delimiter.map((v) => v.length)),
    trimChars: [
      Buffer.from(" ", options2.encoding)[0],
      Buffer.from("	", options2.encoding)[0]
    ],
    wasQuoting: false,
    wasRowDelimiter: false,
    timchars,
    timcharFirstBytes
  };
};

// node_modules/csv-parse/lib/utils/underscore.js
var underscore = function(str) {
  return str.replace(/([A-Z])/g, function(_, match) {
    return "_" + match.toLowerCase();
  });
};

// node_modules/csv-parse/lib/api/normalize_options.js
var normalize_options = function(opts) {
  const options2 = {};
  for (const opt in opts) {
    options2[underscore(opt)] = opts[opt];
  }
  if (options2.encoding === void 0 || options2.encoding === true) {
    options2.encoding = "utf8";
  } else if (options2.encoding === null || options2.encoding === false) {
    options2.encoding = null;
  } else if (typeof options2.encoding !== "string" && options2.encoding !== null) {
    throw new CsvError(
      "CSV_INVALID_OPTION_ENCODING",
      [
        "Invalid option encoding:",
        "encoding must be a string or null to return a buffer,",
        `got ${JSON.stringify(options2.encoding)}`
      ],
      options2
    );
  }
  if (options2.bom === void 0 || options2.bom === null || options2.bom === false) {
    options2.bom = false;
  } else if (options2.bom !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_BOM",
      [
        "Invalid option bom:",
        "bom must be true,",
        `got ${JSON.stringify(options2.bom)}`
      ],
      options2
    );
  }
  options2.cast_function = null;
  if (options2.cast === void 0 || options2.cast === null || options2.cast === false || options2.cast === "") {
    options2.cast = void 0;
  } else if (typeof options2.cast === "function") {
    options2.cast_function = options2.cast;
    options2.cast = true;
  } else if (options2.cast !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_CAST",
      [
        "Invalid option cast:",
        "cast must be true or a function,",
        `got ${JSON.stringify(options2.cast)}`
      ],
      options2
    );
  }
  if (options2.cast_date === void 0 || options2.cast_date === null || options2.cast_date === false || options2.cast_date === "") {
    options2.cast_date = false;
  } else if (options2.cast_date === true) {
    options2.cast_date = function(value) {
      const date = Date.parse(value);
      return !isNaN(date) ? new Date(date) : value;
    };
  } else if (typeof options2.cast_date !== "function") {
    throw new CsvError(
      "CSV_INVALID_OPTION_CAST_DATE",
      [
        "Invalid option cast_date:",
        "cast_date must be true or a function,",
        `got ${JSON.stringify(options2.cast_date)}`
      ],
      options2
    );
  }
  options2.cast_first_line_to_header = void 0;
  if (options2.columns === true) {
    options2.cast_first_line_to_header = void 0;
  } else if (typeof options2.columns === "function") {
    options2.cast_first_line_to_header = options2.columns;
    options2.columns = true;
  } else if (Array.isArray(options2.columns)) {
    options2.columns = normalize_columns_array(options2.columns);
  } else if (options2.columns === void 0 || options2.columns === null || options2.columns === false) {
    options2.columns = false;
  } else {
    throw new CsvError(
      "CSV_INVALID_OPTION_COLUMNS",
      [
        "Invalid option columns:",
        "expect an array, a function or true,",
        `got ${JSON.stringify(options2.columns)}`
      ],
      options2
    );
  }
  if (options2.group_columns_by_name === void 0 || options2.group_columns_by_name === null || options2.group_columns_by_name === false) {
    options2.group_columns_by_name = false;
  } else if (options2.group_columns_by_name !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_GROUP_COLUMNS_BY_NAME",
      [
        "Invalid option group_columns_by_name:",
        "expect an boolean,",
        `got ${JSON.stringify(options2.group_columns_by_name)}`
      ],
      options2
    );
  } else if (options2.columns === false) {
    throw new CsvError(
      "CSV_INVALID_OPTION_GROUP_COLUMNS_BY_NAME",
      [
        "Invalid option group_columns_by_name:",
        "the `columns` mode must be activated."
      ],
      options2
    );
  }
  if (options2.comment === void 0 || options2.comment === null || options2.comment === false || options2.comment === "") {
    options2.comment = null;
  } else {
    if (typeof options2.comment === "string") {
      options2.comment = Buffer.from(options2.comment, options2.encoding);
    }
    if (!Buffer.isBuffer(options2.comment)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_COMMENT",
        [
          "Invalid option comment:",
          "comment must be a buffer or a string,",
          `got ${JSON.stringify(options2.comment)}`
        ],
        options2
      );
    }
  }
  if (options2.comment_no_infix === void 0 || options2.comment_no_infix === null || options2.comment_no_infix === false) {
    options2.comment_no_infix = false;
  } else if (options2.comment_no_infix !== true) {
    throw new CsvError(
      "CSV_INVALID_OPTION_COMMENT",
      [
        "Invalid option comment_no_infix:",
        "value must be a boolean,",
        `got ${JSON.stringify(options2.comment_no_infix)}`
      ],
      options2
    );
  }
  if (options2.delimiter_auto === void 0 || options2.delimiter_auto === null || options2.delimiter_auto === false) {
    options2.delimiter_auto = false;
  } else if (options2.delimiter_auto === true) {
    options2.delimiter_auto = {};
  } else if (!is_object(options2.delimiter_auto)) {
    throw new CsvError(
      "CSV_INVALID_OPTION_DELIMITER_AUTO",
      [
        "Invalid option delimiter_auto:",
        "delimiter_auto must be a boolean or a configuration object,",
        `got ${JSON.stringify(options2.delimiter_auto)}`
      ],
      options2
    );
  }
  if (options2.delimiter_auto) {
    if (options2.delimiter_auto.preferred === void 0)
      options2.delimiter_auto.preferred = {
        [",".charCodeAt(0)]: 1.8,
        ["	".charCodeAt(0)]: 1.8,
        [";".charCodeAt(0)]: 1.6,
        [" ".charCodeAt(0)]: 1.6,
        [":".charCodeAt(0)]: 1.5,
        [".".charCodeAt(0)]: 1.4,
        ["/".charCodeAt(0)]: 1.4
      };
    else if (!is_object(options2.delimiter_auto.preferred)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "preferred must be an object,",
          `got ${JSON.stringify(options2.delimiter_auto.preferred)}`
        ],
        options2
      );
    }
    if (options2.delimiter_auto.score === void 0)
      options2.delimiter_auto.score = (info, options3) => {
        return (info.total - info.std) * (options3.preferred[info.char_code] || 1);
      };
    else if (typeof options2.delimiter_auto.score !== "function") {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "score must be a function,",
          `got ${JSON.stringify(options2.delimiter_auto.score)}`
        ],
        options2
      );
    }
    if (options2.delimiter_auto.size === void 0)
      options2.delimiter_auto.size = 2048;
    else if (typeof options2.delimiter_auto.size !== "number") {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER_AUTO",
        [
          "Invalid option delimiter_auto:",
          "size must be a number,",
          `got ${JSON.stringify(options2.delimiter_auto.size)}`
        ],
        options2
      );
    }
  }
  const delimiter_json = JSON.stringify(options2.delimiter);
  if (options2.delimiter_auto !== false) {
    options2.delimiter = [];
  }
  if (!Array.isArray(options2.delimiter)) {
    if (options2.delimiter === void 0 || options2.delimiter === null || options2.delimiter === false) {
      options2.delimiter = Buffer.from(",", options2.encoding);
    }
    options2.delimiter = [options2.delimiter];
  }
  options2.delimiter = options2.delimiter.map(function(delimiter) {
    if (typeof delimiter === "string") {
      delimiter = Buffer.from(delimiter, options2.encoding);
    }
    if (!Buffer.isBuffer(delimiter) || delimiter.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_DELIMITER",
        [
          "Invalid option delimiter:",
          "delimiter must be a non empty string or buffer or array of string|buffer,",
          `got ${delimiter_json}`
        ],
        options2
      );
    }
    return delimiter;
  });
  if (options2.escape === void 0 || options2.escape === true) {
    options2.escape = Buffer.from('"', options2.encoding);
  } else if (typeof options2.escape === "string") {
    options2.escape = Buffer.from(options2.escape, options2.encoding);
  } else if (options2.escape === null || options2.escape === false) {
    options2.escape = null;
  }
  if (options2.escape !== null) {
    if (!Buffer.isBuffer(options2.escape)) {
      throw new Error(
        `Invalid Option: escape must be a buffer, a string or a boolean, got ${JSON.stringify(options2.escape)}`
      );
    }
  }
  if (options2.from === void 0 || options2.from === null) {
    options2.from = 1;
  } else {
    if (typeof options2.from === "string" && /\d+/.test(options2.from)) {
      options2.from = parseInt(options2.from);
    }
    if (Number.isInteger(options2.from)) {
      if (options2.from < 0) {
        throw new Error(
          `Invalid Option: from must be a positive integer, got ${JSON.stringify(opts.from)}`
        );
      }
    } else {
      throw new Error(
        `Invalid Option: from must be an integer, got ${JSON.stringify(options2.from)}`
      );
    }
  }
  if (options2.from_line === void 0 || options2.from_line === null) {
    options2.from_line = 1;
  } else {
    if (typeof options2.from_line === "string" && /\d+/.test(options2.from_line)) {
      options2.from_line = parseInt(options2.from_line);
    }
    if (Number.isInteger(options2.from_line)) {
      if (options2.from_line <= 0) {
        throw new Error(
          `Invalid Option: from_line must be a positive integer greater than 0, got ${JSON.stringify(opts.from_line)}`
        );
      }
    } else {
      throw new Error(
        `Invalid Option: from_line must be an integer, got ${JSON.stringify(opts.from_line)}`
      );
    }
  }
  if (options2.ignore_last_delimiters === void 0 || options2.ignore_last_delimiters === null) {
    options2.ignore_last_delimiters = false;
  } else if (typeof options2.ignore_last_delimiters === "number") {
    options2.ignore_last_delimiters = Math.floor(options2.ignore_last_delimiters);
    if (options2.ignore_last_delimiters === 0) {
      options2.ignore_last_delimiters = false;
    }
  } else if (typeof options2.ignore_last_delimiters !== "boolean") {
    throw new CsvError(
      "CSV_INVALID_OPTION_IGNORE_LAST_DELIMITERS",
      [
        "Invalid option `ignore_last_delimiters`:",
        "the value must be a boolean value or an integer,",
        `got ${JSON.stringify(options2.ignore_last_delimiters)}`
      ],
      options2
    );
  }
  if (options2.ignore_last_delimiters === true && options2.columns === false) {
    throw new CsvError(
      "CSV_IGNORE_LAST_DELIMITERS_REQUIRES_COLUMNS",
      [
        "The option `ignore_last_delimiters`",
        "requires the activation of the `columns` option"
      ],
      options2
    );
  }
  if (options2.info === void 0 || options2.info === null || options2.info === false) {
    options2.info = false;
  } else if (options2.info !== true) {
    throw new Error(
      `Invalid Option: info must be true, got ${JSON.stringify(options2.info)}`
    );
  }
  if (options2.max_record_size === void 0 || options2.max_record_size === null || options2.max_record_size === false) {
    options2.max_record_size = 0;
  } else if (Number.isInteger(options2.max_record_size) && options2.max_record_size >= 0) {
  } else if (typeof options2.max_record_size === "string" && /\d+/.test(options2.max_record_size)) {
    options2.max_record_size = parseInt(options2.max_record_size);
  } else {
    throw new Error(
      `Invalid Option: max_record_size must be a positive integer, got ${JSON.stringify(options2.max_record_size)}`
    );
  }
  if (options2.objname === void 0 || options2.objname === null || options2.objname === false) {
    options2.objname = void 0;
  } else if (Buffer.isBuffer(options2.objname)) {
    if (options2.objname.length === 0) {
      throw new Error(`Invalid Option: objname must be a non empty buffer`);
    }
    if (options2.encoding === null) {
    } else {
      options2.objname = options2.objname.toString(options2.encoding);
    }
  } else if (typeof options2.objname === "string") {
    if (options2.objname.length === 0) {
      throw new Error(`Invalid Option: objname must be a non empty string`);
    }
  } else if (typeof options2.objname === "number") {
  } else {
    throw new Error(
      `Invalid Option: objname must be a string or a buffer, got ${options2.objname}`
    );
  }
  if (options2.objname !== void 0) {
    if (typeof options2.objname === "number") {
      if (options2.columns !== false) {
        throw Error(
          "Invalid Option: objname index cannot be combined with columns or be defined as a field"
        );
      }
    } else {
      if (options2.columns === false) {
        throw Error(
          "Invalid Option: objname field must be combined with columns or be defined as an index"
        );
      }
    }
  }
  if (options2.on_record === void 0 || options2.on_record === null) {
    options2.on_record = void 0;
  } else if (typeof options2.on_record !== "function") {
    throw new CsvError(
      "CSV_INVALID_OPTION_ON_RECORD",
      [
        "Invalid option `on_record`:",
        "expect a function,",
        `got ${JSON.stringify(options2.on_record)}`
      ],
      options2
    );
  }
  if (options2.on_skip !== void 0 && options2.on_skip !== null && typeof options2.on_skip !== "function") {
    throw new Error(
      `Invalid Option: on_skip must be a function, got ${JSON.stringify(options2.on_skip)}`
    );
  }
  if (options2.quote === null || options2.quote === false || options2.quote === "") {
    options2.quote = null;
  } else {
    if (options2.quote === void 0 || options2.quote === true) {
      options2.quote = Buffer.from('"', options2.encoding);
    } else if (typeof options2.quote === "string") {
      options2.quote = Buffer.from(options2.quote, options2.encoding);
    }
    if (!Buffer.isBuffer(options2.quote)) {
      throw new Error(
        `Invalid Option: quote must be a buffer or a string, got ${JSON.stringify(options2.quote)}`
      );
    }
  }
  if (options2.raw === void 0 || options2.raw === null || options2.raw === false) {
    options2.raw = false;
  } else if (options2.raw !== true) {
    throw new Error(
      `Invalid Option: raw must be true, got ${JSON.stringify(options2.raw)}`
    );
  }
  if (options2.record_delimiter === void 0) {
    options2.record_delimiter = [];
  } else if (typeof options2.record_delimiter === "string" || Buffer.isBuffer(options2.record_delimiter)) {
    if (options2.record_delimiter.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a non empty string or buffer,",
          `got ${JSON.stringify(options2.record_delimiter)}`
        ],
        options2
      );
    }
    options2.record_delimiter = [options2.record_delimiter];
  } else if (!Array.isArray(options2.record_delimiter)) {
    throw new CsvError(
      "CSV_INVALID_OPTION_RECORD_DELIMITER",
      [
        "Invalid option `record_delimiter`:",
        "value must be a string, a buffer or array of string|buffer,",
        `got ${JSON.stringify(options2.record_delimiter)}`
      ],
      options2
    );
  }
  options2.record_delimiter = options2.record_delimiter.map(function(rd, i) {
    if (typeof rd !== "string" && !Buffer.isBuffer(rd)) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a string, a buffer or array of string|buffer",
          `at index ${i},`,
          `got ${JSON.stringify(rd)}`
        ],
        options2
      );
    } else if (rd.length === 0) {
      throw new CsvError(
        "CSV_INVALID_OPTION_RECORD_DELIMITER",
        [
          "Invalid option `record_delimiter`:",
          "value must be a non empty string or buffer",
          `at index ${i},`,
          `got ${JSON.stringify(rd)}`
        ],
        options2
      );
    }
    if (typeof rd === "string") {
      rd = Buffer.from(rd, options2.encoding);
    }
    return rd;
  });
  if (typeof options2.relax_column_count === "boolean") {
  } else if (options2.relax_column_count === void 0 || options2.relax_column_count === null) {
    options2.relax_column_count = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count must be a boolean, got ${JSON.stringify(options2.relax_column_count)}`
    );
  }
  if (typeof options2.relax_column_count_less === "boolean") {
  } else if (options2.relax_column_count_less === void 0 || options2.relax_column_count_less === null) {
    options2.relax_column_count_less = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count_less must be a boolean, got ${JSON.stringify(options2.relax_column_count_less)}`
    );
  }
  if (typeof options2.relax_column_count_more === "boolean") {
  } else if (options2.relax_column_count_more === void 0 || options2.relax_column_count_more === null) {
    options2.relax_column_count_more = false;
  } else {
    throw new Error(
      `Invalid Option: relax_column_count_more must be a boolean, got ${JSON.stringify(options2.relax_column_count_more)}`
    );
  }
  if (typeof options2.relax_quotes === "boolean") {
  } else if (options2.relax_quotes === void 0 || options2.relax_quotes === null) {
    options2.relax_quotes = false;
  } else {
    throw new Error(
      `Invalid Option: relax_quotes must be a boolean, got ${JSON.stringify(options2.relax_quotes)}`
    );
  }
  if (typeof options2.skip_empty_lines === "boolean") {
  } else if (options2.skip_empty_lines === void 0 || options2.skip_empty_lines === null) {
    options2.skip_empty_lines = false;
  } else {
    throw new Error(
      `Invalid Option: skip_empty_lines must be a boolean, got ${JSON.stringify(options2.skip_empty_lines)}`
    );
  }
  if (typeof options2.skip_records_with_empty_values === "boolean") {
  } else if (options2.skip_records_with_empty_values === void 0 || options2.skip_records_with_empty_values === null) {
    options2.skip_records_with_empty_values = false;
  } else {
    throw new Error(
      `Invalid Option: skip_records_with_empty_values must be a boolean, got ${JSON.stringify(options2.skip_records_with_empty_values)}`
    );
  }
  if (typeof options2.skip_records_with_error === "boolean") {
  } else if (options2.skip_records_with_error === void 0 || options2.skip_records_with_error === null) {
    options2.skip_records_with_error = false;
  } else {
    throw new Error(
      `Invalid Option: skip_records_with_error must be a boolean, got ${JSON.stringify(options2.skip_records_with_error)}`
    );
  }
  if (options2.rtrim === void 0 || options2.rtrim === null || options2.rtrim === false) {
    options2.rtrim = false;
  } else if (options2.rtrim !== true) {
    throw new Error(
      `Invalid Option: rtrim must be a boolean, got ${JSON.stringify(options2.rtrim)}`
    );
  }
  if (options2.ltrim === void 0 || options2.ltrim === null || options2.ltrim === false) {
    options2.ltrim = false;
  } else if (options2.ltrim !== true) {
    throw new Error(
      `Invalid Option: ltrim must be a boolean, got ${JSON.stringify(options2.ltrim)}`
    );
  }
  if (options2.trim === void 0 || options2.trim === null || options2.trim === false) {
    options2.trim = false;
  } else if (options2.trim !== true) {
    throw new Error(
      `Invalid Option: trim must be a boolean, got ${JSON.stringify(options2.trim)}`
    );
  }
  if (options2.trim === true && opts.ltrim !== false) {
    options2.ltrim = true;
  } else if (options2.ltrim !== true) {
    options2.ltrim = false;
  }
  if (options2.trim === true && opts.rtrim !== false) {
    options2.rtrim = true;
  } else if (options2.rtrim !== true) {
    options2.rtrim = false;
  }
  if (options2.to === void 0 || options2.to === null) {
    options2.to = -1;
  } else if (options2.to !== -1) {
    if (typeof options2.to === "string" && /\d+/.test(options2.to)) {
      options2.to = parseInt(options2.to);
    }
    if (Number.isInteger(options2.to)) {
      if (options2.to <= 0) {
        throw new Error(
          `Invalid Option: to must be a positive integer greater than 0, got ${JSON.stringify(opts.to)}`
        );
      }
    } else {
      throw new Error(
        `Invalid Option: to must be an integer, got ${JSON.stringify(opts.to)}`
      );
    }
  }
  if (options2.to_line === void 0 || options2.to_line === null) {
    options2.to_line = -1;
  } else if (options2.to_line !== -1) {
    if (typeof options2.to_line === "string" && /\d+/.test(options2.to_line)) {
      options2.to_line = parseInt(options2.to_line);
    }
    if (Number.isInteger(options2.to_line)) {
      if (options2.to_line <= 0) {
        throw new Error(
          `Invalid Option: to_line must be a positive integer greater than 0, got ${JSON.stringify(opts.to_line)}`
        );
      }
    } else {
      throw new Error(
        `Invalid Option: to_line must be an integer, got ${JSON.stringify(opts.to_line)}`
      );
    }
  }
  return options2;
};

// node_modules/csv-parse/lib/utils/delimiter_discover.js
var delimiter_discover = function(records, options2) {
  if (!options2) {
    ({ delimiter_auto: options2 } = normalize_options({ delimiter_auto: true }));
  }
  if (typeof records === "string") {
    records = Buffer.from(records);
  }
  if (Buffer.isBuffer(records)) {
    records = ((data) => {
      const records2 = [];
      const parser = transform({ delimiter: [] });
      const push = (record) => records2.push(record);
      const close = () => {
      };
      const error = parser.parse(data, true, push, close);
      if (error !== void 0) throw error;
      return records2;
    })(records);
  }
  const info = Array(127).fill().map(() => ({ lines: [] }));
  records.map(([record], line) => {
    for (let i = 0, l = record.length; i < l; i++) {
      const code = record.charCodeAt(i);
      if (info[code].lines[line] === void 0) info[code].lines[line] = 0;
      info[code].lines[line]++;
    }
  });
  info.map((info2, i) => {
    info2.char_code = i;
    info2.std = std(info2.lines);
    info2.total = info2.lines.reduce((acc, val) => acc + val, 0);
    info2.preferred = !!options2.preferred[i];
    info2.score = options2.score(info2, options2);
  });
  const result = info.reduce(
    (acc, info2) => acc.score > info2.score ? acc : info2,
    {}
  );
  return String.fromCharCode(result.char_code);
};
var std = function(array) {
  const n = array.length;
  if (n === 0) return 0;
  const mean = array.reduce((a, b) => a + b) / n;
  return Math.sqrt(
    array.map((x) => Math.pow(x - mean, 2)).reduce((a, b) => a + b) / n
  );
};

// node_modules/csv-parse/lib/api/index.js
var isRecordEmpty = function(record) {
  return record.every(
    (field) => field == null || field.toString && field.toString().trim() === ""
  );
};
var cr = 13;
var nl = 10;
var boms = {
  // Note, the following are equals:
  // Buffer.from("\ufeff")
  // Buffer.from([239, 187, 191])
  // Buffer.from('EFBBBF', 'hex')
  utf8: Buffer.from([239, 187, 191]),
  // Note, the following are equals:
  // Buffer.from "\ufeff", 'utf16le
  // Buffer.from([255, 254])
  utf16le: Buffer.from([255, 254])
};
var transform = function(original_options = {}) {
  const info = {
    bytes: 0,
    bytes_records: 0,
    comment_lines: 0,
    empty_lines: 0,
    invalid_field_length: 0,
    lines: 1,
    records: 0
  };
  const options2 = normalize_options(original_options);
  return {
    info,
    original_options,
    options: options2,
    state: init_state(options2),
    __needMoreData: function(i, bufLen, end) {
      if (end) return false;
      const { encoding, escape, quote } = this.options;
      const { quoting, needMoreDataSize, recordDelimiterMaxLength } = this.state;
      const numOfCharLeft = bufLen - i - 1;
      const requiredLength = Math.max(
        needMoreDataSize,
        // Skip if the remaining buffer smaller than record delimiter
        // If "record_delimiter" is yet to be discovered:
        // 1. It is equals to `[]` and "recordDelimiterMaxLength" equals `0`
        // 2. We set the length to windows line ending in the current encoding
        // Note, that encoding is known from user or bom discovery at that point
        // recordDelimiterMaxLength,
        recordDelimiterMaxLength === 0 ? Buffer.from("\r\n", encoding).length : recordDelimiterMaxLength,
        // Skip if remaining buffer can be an escaped quote
        quoting ? (escape === null ? 0 : escape.length) + quote.length : 0,
        // Skip if remaining buffer can be record delimiter following the closing quote
        quoting ? quote.length + recordDelimiterMaxLength : 0
      );
      return numOfCharLeft < requiredLength;
    },
    // Central parser implementation
    parse: function(nextBuf, end, push, close) {
      const {
        bom,
        comment_no_infix,
        delimiter_auto,
        encoding,
        from_line,
        ltrim,
        max_record_size,
        raw,
        relax_quotes,
        rtrim,
        skip_empty_lines,
        to,
        to_line
      } = this.options;
      let { comment, escape, quote, record_delimiter } = this.options;
      const {
        bomSkipped,
        delimiterDiscovered,
        delimiterBufPrevious,
        rawBuffer,
        escapeIsQuote
      } = this.state;
      if (!delimiterDiscovered && delimiter_auto) {
        let delimiterBuf;
        if (delimiterBufPrevious === void 0) {
          delimiterBuf = nextBuf;
        } else if (delimiterBufPrevious !== void 0 && nextBuf === void 0) {
          delimiterBuf = delimiterBufPrevious;
        } else {
          delimiterBuf = Buffer.concat([delimiterBufPrevious, nextBuf]);
        }
        nextBuf = void 0;
        if (end || delimiterBuf.length > delimiter_auto.size) {
          this.options.delimiter = [
            Buffer.from(
              delimiter_discover(delimiterBuf, this.options.delimiter_auto)
            )
          ];
          this.state.previousBuf = delimiterBuf;
          this.state.delimiterBufPrevious = void 0;
          this.state.delimiterDiscovered = true;
        } else {
          this.state.delimiterBufPrevious = delimiterBuf;
          return;
        }
      }
      const { previousBuf } = this.state;
      let buf;
      if (previousBuf === void 0) {
        if (nextBuf === void 0) {
          close();
          return;
        } else {
          buf = nextBuf;
        }
      } else if (previousBuf !== void 0 && nextBuf === void 0) {
        buf = previousBuf;
      } else {
        buf = Buffer.concat([previousBuf, nextBuf]);
      }
      if (bomSkipped === false) {
        if (bom === false) {
          this.state.bomSkipped = true;
        } else if (buf.length < 3) {
          if (end === false) {
            this.state.previousBuf = buf;
            return;
          }
        } else {
          for (const encoding2 in boms) {
            if (boms[encoding2].compare(buf, 0, boms[encoding2].length) === 0) {
              const bomLength = boms[encoding2].length;
              this.state.bufBytesStart += bomLength;
              buf = buf.slice(bomLength);
              const options3 = normalize_options({
                ...this.original_options,
                encoding: encoding2
              });
              for (const key in options3) {
                this.options[key] = options3[key];
              }
              ({ comment, escape, quote } = this.options);
              break;
            }
          }
          this.state.bomSkipped = true;
        }
      }
      const bufLen = buf.length;
      let pos;
      for (pos = 0; pos < bufLen; pos++) {
        if (this.__needMoreData(pos, bufLen, end)) {
          break;
        }
        if (this.state.wasRowDelimiter === true) {
          this.info.lines++;
          this.state.wasRowDelimiter = false;
        }
        if (to_line !== -1 && this.info.lines > to_line) {
          this.state.stop = true;
          close();
          return;
        }
        if (this.state.quoting === false && record_delimiter.length === 0) {
          const record_delimiterCount = this.__autoDiscoverRecordDelimiter(
            buf,
            pos
          );
          if (record_delimiterCount) {
            record_delimiter = this.options.record_delimiter;
          }
        }
        const chr = buf[pos];
        if (raw === true) {
          rawBuffer.append(chr);
        }
        if ((chr === cr || chr === nl) && this.state.wasRowDelimiter === false) {
          this.state.wasRowDelimiter = true;
        }
        if (this.state.escaping === true) {
          this.state.escaping = false;
        } else {
          if (escape !== null && this.state.quoting === true && this.__isEscape(buf, pos, chr) && pos + escape.length < bufLen) {
            if (escapeIsQuote) {
              if (this.__isQuote(buf, pos + escape.length)) {
                this.state.escaping = true;
                pos += escape.length - 1;
                continue;
              }
            } else {
              this.state.escaping = true;
              pos += escape.length - 1;
              continue;
            }
          }
          if (this.state.commenting === false && this.__isQuote(buf, pos)) {
            if (this.state.quoting === true) {
              const nextChr = buf[pos + quote.length];
              const isNextChrTrimable = rtrim && this.__isCharTrimable(buf, pos + quote.length);
              const isNextChrComment = comment !== null && this.__compareBytes(comment, buf, pos + quote.length, nextChr);
              const isNextChrDelimiter = this.__isDelimiter(
                buf,
                pos + quote.length,
                nextChr
              );
              const isNextChrRecordDelimiter = record_delimiter.length === 0 ? this.__autoDiscoverRecordDelimiter(buf, pos + quote.length) : this.__isRecordDelimiter(nextChr, buf, pos + quote.length);
              if (escape !== null && this.__isEscape(buf, pos, chr) && this.__isQuote(buf, pos + escape.length)) {
                pos += escape.length - 1;
              } else if (!nextChr || isNextChrDelimiter || isNextChrRecordDelimiter || isNextChrComment || isNextChrTrimable) {
                this.state.quoting = false;
                this.state.wasQuoting = true;
                pos += quote.length - 1;
                continue;
              } else if (relax_quotes === false) {
                const err = this.__error(
                  new CsvError(
                    "CSV_INVALID_CLOSING_QUOTE",
                    [
                      "Invalid Closing Quote:",
                      `got "${String.fromCharCode(nextChr)}"`,
                      `at line ${this.info.lines}`,
                      "instead of delimiter, record delimiter, trimable character",
                      "(if activated) or comment"
                    ],
                    this.options,
                    this.__infoField()
                  )
                );
                if (err !== void 0) return err;
              } else {
                this.state.quoting = false;
                this.state.wasQuoting = true;
                this.state.field.prepend(quote);
                pos += quote.length - 1;
              }
            } else {
              if (this.state.field.length !== 0) {
                if (relax_quotes === false) {
                  const info2 = this.__infoField();
                  const bom2 = Object.keys(boms).map(
                    (b) => boms[b].equals(this.state.field.toString()) ? b : false
                  ).filter(Boolean)[0];
                  const err = this.__error(
                    new CsvError(
                      "INVALID_OPENING_QUOTE",
                      [
                        "Invalid Opening Quote:",
                        `a quote is found on field ${JSON.stringify(info2.column)} at line ${info2.lines}, value is ${JSON.stringify(this.state.field.toString(encoding))}`,
                        bom2 ? `(${bom2} bom)` : void 0
                      ],
                      this.options,
                      info2,
                      {
                        field: this.state.field
                      }
                    )
                  );
                  if (err !== void 0) return err;
                }
              } else {
                this.state.quoting = true;
                pos += quote.length - 1;
                continue;
              }
            }
          }
          if (this.state.quoting === false) {
            const recordDelimiterLength = this.__isRecordDelimiter(
              chr,
              buf,
              pos
            );
            if (recordDelimiterLength !== 0) {
              const skipCommentLine = this.state.commenting && this.state.wasQuoting === false && this.state.record.length === 0 && this.state.field.length === 0;
              if (skipCommentLine) {
                this.info.comment_lines++;
              } else {
                if (this.state.enabled === false && this.info.lines + (this.state.wasRowDelimiter === true ? 1 : 0) >= from_line) {
                  this.state.enabled = true;
                  this.__resetField();
                  this.__resetRecord();
                  pos += recordDelimiterLength - 1;
                  continue;
                }
                if (skip_empty_lines === true && this.state.wasQuoting === false && this.state.record.length === 0 && this.state.field.length === 0) {
                  this.info.empty_lines++;
                  pos += recordDelimiterLength - 1;
                  continue;
                }
                this.info.bytes = this.state.bufBytesStart + pos;
                const errField = this.__onField();
                if (errField !== void 0) return errField;
                this.info.bytes = this.state.bufBytesStart + pos + recordDelimiterLength;
                const errRecord = this.__onRecord(push);
                if (errRecord !== void 0) return errRecord;
                if (to !== -1 && this.info.records >= to) {
                  this.state.stop = true;
                  close();
                  return;
                }
              }
              this.state.commenting = false;
              pos += recordDelimiterLength - 1;
              continue;
            }
            if (this.state.commenting) {
              continue;
            }
            if (comment !== null && (comment_no_infix === false || this.state.record.length === 0 && this.state.field.length === 0)) {
              const commentCount = this.__compareBytes(comment, buf, pos, chr);
              if (commentCount !== 0) {
                this.state.commenting = true;
                continue;
              }
            }
            const delimiterLength = this.__isDelimiter(buf, pos, chr);
            if (delimiterLength !== 0) {
              this.info.bytes = this.state.bufBytesStart + pos;
              const errField = this.__onField();
              if (errField !== void 0) return errField;
              pos += delimiterLength - 1;
              continue;
            }
          }
        }
        if (this.state.commenting === false) {
          if (max_record_size !== 0 && this.state.record_length + this.state.field.length > max_record_size) {
            return this.__error(
              new CsvError(
                "CSV_MAX_RECORD_SIZE",
                [
                  "Max Record Size:",
                  "record exceed the maximum number of tolerated bytes",
                  `of ${max_record_size}`,
                  `at line ${this.info.lines}`
                ],
                this.options,
                this.__infoField()
              )
            );
          }
        }
        const lappend = ltrim === false || this.state.quoting === true || this.state.field.length !== 0 || !this.__isCharTrimable(buf, pos);
        const rappend = rtrim === false || this.state.wasQuoting === false;
        if (lappend === true && rappend === true) {
          this.state.field.append(chr);
        } else if (rtrim === true && !this.__isCharTrimable(buf, pos)) {
          return this.__error(
            new CsvError(
              "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE",
              [
                "Invalid Closing Quote:",
                "found non trimable byte after quote",
                `at line ${this.info.lines}`
              ],
              this.options,
              this.__infoField()
            )
          );
        } else {
          if (lappend === false) {
            pos += this.__isCharTrimable(buf, pos) - 1;
          }
          continue;
        }
      }
      if (end === true) {
        if (this.state.quoting === true) {
          const err = this.__error(
            new CsvError(
              "CSV_QUOTE_NOT_CLOSED",
              [
                "Quote Not Closed:",
                `the parsing is finished with an opening quote at line ${this.info.lines}`
              ],
              this.options,
              this.__infoField()
            )
          );
          if (err !== void 0) return err;
        } else {
          if (this.state.wasQuoting === true || this.state.record.length !== 0 || this.state.field.length !== 0) {
            this.info.bytes = this.state.bufBytesStart + pos;
            const errField = this.__onField();
            if (errField !== void 0) return errField;
            const errRecord = this.__onRecord(push);
            if (errRecord !== void 0) return errRecord;
          } else if (this.state.wasRowDelimiter === true) {
            this.info.empty_lines++;
          } else if (this.state.commenting === true) {
            this.info.comment_lines++;
          }
        }
      } else {
        this.state.bufBytesStart += pos;
        this.state.previousBuf = buf.slice(pos);
      }
      if (this.state.wasRowDelimiter === true) {
        this.info.lines++;
        this.state.wasRowDelimiter = false;
      }
    },
    __onRecord: function(push) {
      const {
        columns,
        group_columns_by_name,
        encoding,
        info: info2,
        from,
        relax_column_count,
        relax_column_count_less,
        relax_column_count_more,
        raw,
        skip_records_with_empty_values
      } = this.options;
      const { enabled, record } = this.state;
      if (enabled === false) {
        return this.__resetRecord();
      }
      const recordLength = record.length;
      if (columns === true) {
        if (skip_records_with_empty_values === true && isRecordEmpty(record)) {
          this.__resetRecord();
          return;
        }
        return this.__firstLineToColumns(record);
      }
      if (columns === false && this.info.records === 0) {
        this.state.expectedRecordLength = recordLength;
      }
      if (recordLength !== this.state.expectedRecordLength) {
        const err = columns === false ? new CsvError(
          "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH",
          [
            "Invalid Record Length:",
            `expect ${this.state.expectedRecordLength},`,
            `got ${recordLength} on line ${this.info.lines}`
          ],
          this.options,
          this.__infoField(),
          {
            record
          }
        ) : new CsvError(
          "CSV_RECORD_INCONSISTENT_COLUMNS",
          [
            "Invalid Record Length:",
            `columns length is ${columns.length},`,
            // rename columns
            `got ${recordLength} on line ${this.info.lines}`
          ],
          this.options,
          this.__infoField(),
          {
            record
          }
        );
        if (relax_column_count === true || relax_column_count_less === true && recordLength < this.state.expectedRecordLength || relax_column_count_more === true && recordLength > this.state.expectedRecordLength) {
          this.info.invalid_field_length++;
          this.state.error = err;
        } else {
          const finalErr = this.__error(err);
          if (finalErr) return finalErr;
        }
      }
      if (skip_records_with_empty_values === true && isRecordEmpty(record)) {
        this.__resetRecord();
        return;
      }
      if (this.state.recordHasError === true) {
        this.__resetRecord();
        this.state.recordHasError = false;
        return;
      }
      this.info.records++;
      if (from === 1 || this.info.records >= from) {
        const { objname } = this.options;
        if (columns !== false) {
          const obj = {};
          for (let i = 0, l = record.length; i < l; i++) {
            if (columns[i] === void 0 || columns[i].disabled) continue;
            if (group_columns_by_name === true && Object.hasOwn(obj, columns[i].name)) {
              if (Array.isArray(obj[columns[i].name])) {
                obj[columns[i].name] = obj[columns[i].name].concat(record[i]);
              } else {
                obj[columns[i].name] = [obj[columns[i].name], record[i]];
              }
            } else {
              Object.defineProperty(obj, columns[i].name, {
                value: record[i],
                enumerable: true,
                writable: true,
                configurable: true
              });
            }
          }
          if (raw === true || info2 === true) {
            const extRecord = Object.assign(
              { record: obj },
              raw === true ? { raw: this.state.rawBuffer.toString(encoding) } : {},
              info2 === true ? { info: this.__infoRecord() } : {}
            );
            const err = this.__push(
              objname === void 0 ? extRecord : [obj[objname], extRecord],
              push
            );
            if (err) {
              return err;
            }
          } else {
            const err = this.__push(
              objname === void 0 ? obj : [obj[objname], obj],
              push
            );
            if (err) {
              return err;
            }
          }
        } else {
          if (raw === true || info2 === true) {
            const extRecord = Object.assign(
              { record },
              raw === true ? { raw: this.state.rawBuffer.toString(encoding) } : {},
              info2 === true ? { info: this.__infoRecord() } : {}
            );
            const err = this.__push(
              objname === void 0 ? extRecord : [record[objname], extRecord],
              push
            );
            if (err) {
              return err;
            }
          } else {
            const err = this.__push(
              objname === void 0 ? record : [record[objname], record],
              push
            );
            if (err) {
              return err;
            }
          }
        }
      }
      this.__resetRecord();
    },
    __firstLineToColumns: function(record) {
      const { firstLineToHeaders } = this.state;
      try {
        const headers = firstLineToHeaders === void 0 ? record : firstLineToHeaders.call(null, record);
        if (!Array.isArray(headers)) {
          return this.__error(
            new CsvError(
              "CSV_INVALID_COLUMN_MAPPING",
              [
                "Invalid Column Mapping:",
                "expect an array from column function,",
                `got ${JSON.stringify(headers)}`
              ],
              this.options,
              this.__infoField(),
              {
                headers
              }
            )
          );
        }
        const normalizedHeaders = normalize_columns_array(headers);
        this.state.expectedRecordLength = normalizedHeaders.length;
        this.options.columns = normalizedHeaders;
        this.__resetRecord();
        return;
      } catch (err) {
        return err;
      }
    },
    __resetRecord: function() {
      if (this.options.raw === true) {
        this.state.rawBuffer.reset();
      }
      this.state.error = void 0;
      this.state.record = [];
      this.state.record_length = 0;
    },
    __onField: function() {
      const { cast, encoding, rtrim, max_record_size } = this.options;
      const { enabled, wasQuoting } = this.state;
      if (enabled === false) {
        return this.__resetField();
      }
      let field = this.state.field.toString(encoding);
      if (rtrim === true && wasQuoting === false) {
        field = field.trimRight();
      }
      if (cast === true) {
        const [err, f] = this.__cast(field);
        if (err !== void 0) return err;
        field = f;
      }
      this.state.record.push(field);
      if (max_record_size !== 0 && typeof field === "string") {
        this.state.record_length += field.length;
      }
      this.__resetField();
    },
    __resetField: function() {
      this.state.field.reset();
      this.state.wasQuoting = false;
    },
    __push: function(record, push) {
      const { on_record } = this.options;
      if (on_record !== void 0) {
        const info2 = this.__infoRecord();
        try {
          record = on_record.call(null, record, info2);
        } catch (err) {
          return err;
        }
        if (record === void 0 || record === null) {
          return;
        }
      }
      this.info.bytes_records += this.info.bytes;
      push(record);
    },
    // Return a tuple with the error and the casted value
    __cast: function(field) {
      const { columns, relax_column_count } = this.options;
      const isColumns = Array.isArray(columns);
      if (isColumns === true && relax_column_count && this.options.columns.length <= this.state.record.length) {
        return [void 0, void 0];
      }
      if (this.state.castField !== null) {
        try {
          const info2 = this.__infoField();
          return [void 0, this.state.castField.call(null, field, info2)];
        } catch (err) {
          return [err];
        }
      }
      if (this.__isFloat(field)) {
        return [void 0, parseFloat(field)];
      } else if (this.options.cast_date !== false) {
        const info2 = this.__infoField();
        return [void 0, this.options.cast_date.call(null, field, info2)];
      }
      return [void 0, field];
    },
    __compareBytes: function(sourceBuf, targetBuf, targetPos, firstByte) {
      if (sourceBuf[0] !== firstByte) return 0;
      const sourceLength = sourceBuf.length;
      for (let i = 1; i < sourceLength; i++) {
        if (sourceBuf[i] !== targetBuf[targetPos + i]) return 0;
      }
      return sourceLength;
    },
    // Helper to test if a character is trimable
    __isCharTrimable: function(buf, pos) {
      const { timchars, timcharFirstBytes } = this.state;
      const first = buf[pos];
      if (first === void 0 || timcharFirstBytes[first] === 0) return 0;
      loop1: for (let i = 0; i < timchars.length; i++) {
        const timchar = timchars[i];
        for (let j = 0; j < timchar.length; j++) {
          if (timchar[j] !== buf[pos + j]) continue loop1;
        }
        return timchar.length;
      }
      return 0;
    },
    __isDelimiter: function(buf, pos, chr) {
      const { delimiter, ignore_last_delimiters } = this.options;
      if (ignore_last_delimiters === true && this.state.record.length === this.options.columns.length - 1) {
        return 0;
      } else if (ignore_last_delimiters !== false && typeof ignore_last_delimiters === "number" && this.state.record.length === ignore_last_delimiters - 1) {
        return 0;
      }
      loop1: for (let i = 0; i < delimiter.length; i++) {
        const del = delimiter[i];
        if (del[0] === chr) {
          for (let j = 1; j < del.length; j++) {
            if (del[j] !== buf[pos + j]) continue loop1;
          }
          return del.length;
        }
      }
      return 0;
    },
    __isEscape: function(buf, pos, chr) {
      const { escape } = this.options;
      if (escape === null) return false;
      const l = escape.length;
      if (escape[0] === chr) {
        for (let i = 0; i < l; i++) {
          if (escape[i] !== buf[pos + i]) {
            return false;
          }
        }
        return true;
      }
      return false;
    },
    __isFloat: function(value) {
      return value - parseFloat(value) + 1 >= 0;
    },
    // Keep it in case we implement the `cast_int` option
    // __isInt(value){
    //   // return Number.isInteger(parseInt(value))
    //   // return !isNaN( parseInt( obj ) );
    //   return /^(\-|\+)?[1-9][0-9]*$/.test(value)
    // }
    __isQuote: function(buf, pos) {
      const { quote } = this.options;
      if (quote === null) return false;
      const l = quote.length;
      for (let i = 0; i < l; i++) {
        if (quote[i] !== buf[pos + i]) {
          return false;
        }
      }
      return true;
    },
    __isRecordDelimiter: function(chr, buf, pos) {
      const { record_delimiter } = this.options;
      const recordDelimiterLength = record_delimiter.length;
      loop1: for (let i = 0; i < recordDelimiterLength; i++) {
        const rd = record_delimiter[i];
        const rdLength = rd.length;
        if (rd[0] !== chr) {
          continue;
        }
        for (let j = 1; j < rdLength; j++) {
          if (rd[j] !== buf[pos + j]) {
            continue loop1;
          }
        }
        return rd.length;
      }
      return 0;
    },
    __autoDiscoverRecordDelimiter: function(buf, pos) {
      const { encoding } = this.options;
      const rds = [
        // Important, the windows line ending must be before mac os 9
        Buffer.from("\r\n", encoding),
        Buffer.from("\n", encoding),
        Buffer.from("\r", encoding)
      ];
      loop: for (let i = 0; i < rds.length; i++) {
        const l = rds[i].length;
        for (let j = 0; j < l; j++) {
          if (rds[i][j] !== buf[pos + j]) {
            continue loop;
          }
        }
        this.options.record_delimiter.push(rds[i]);
        this.state.recordDelimiterMaxLength = rds[i].length;
        return rds[i].length;
      }
      return 0;
    },
    __error: function(msg) {
      const { encoding, raw, skip_records_with_error } = this.options;
      const err = typeof msg === "string" ? new Error(msg) : msg;
      if (skip_records_with_error) {
        this.state.recordHasError = true;
        if (this.options.on_skip !== void 0) {
          try {
            this.options.on_skip(
              err,
              raw ? this.state.rawBuffer.toString(encoding) : void 0
            );
          } catch (err2) {
            return err2;
          }
        }
        return void 0;
      } else {
        return err;
      }
    },
    __infoDataSet: function() {
      return {
        ...this.info,
        columns: this.options.columns
      };
    },
    __infoRecord: function() {
      const { columns, raw, encoding } = this.options;
      return {
        ...this.__infoDataSet(),
        bytes_records: this.info.bytes,
        error: this.state.error,
        header: columns === true,
        index: this.state.record.length,
        raw: raw ? this.state.rawBuffer.toString(encoding) : void 0
      };
    },
    __infoField: function() {
      const { columns } = this.options;
      const isColumns = Array.isArray(columns);
      const bytes_records = this.info.bytes_records;
      return {
        ...this.__infoRecord(),
        bytes_records,
        column: isColumns === true ? columns.length > this.state.record.length ? columns[this.state.record.length].name : null : this.state.record.length,
        quoting: this.state.wasQuoting
      };
    }
  };
};

// node_modules/csv-parse/lib/index.js
var Parser = class extends Transform {
  constructor(opts = {}) {
    super({ ...{ readableObjectMode: true }, ...opts, encoding: null });
    this.api = transform({
      on_skip: (err, chunk) => {
        this.emit("skip", err, chunk);
      },
      ...opts
    });
    this.state = this.api.state;
    this.options = this.api.options;
    this.info = this.api.info;
  }
  // Implementation of `Transform._transform`
  _transform(buf, _, callback) {
    if (this.state.stop === true) {
      return;
    }
    const err = this.api.parse(
      buf,
      false,
      (record) => {
        this.push(record);
      },
      () => {
        this.push(null);
        this.end();
        this.on("end", this.destroy);
      }
    );
    if (err !== void 0) {
      this.state.stop = true;
    }
    callback(err);
  }
  // Implementation of `Transform._flush`
  _flush(callback) {
    if (this.state.stop === true) {
      return;
    }
    const err = this.api.parse(
      void 0,
      true,
      (record) => {
        this.push(record);
      },
      () => {
        this.push(null);
        this.on("end", this.destroy);
      }
    );
    callback(err);
  }
};
var parse = function() {
  let data, options2, callback;
  for (const i in arguments) {
    const argument = arguments[i];
    const type = typeof argument;
    if (data === void 0 && (typeof argument === "string" || Buffer.isBuffer(argument))) {
      data = argument;
    } else if (options2 === void 0 && is_object(argument)) {
      options2 = argument;
    } else if (callback === void 0 && type === "function") {
      callback = argument;
    } else {
      throw new CsvError(
        "CSV_INVALID_ARGUMENT",
        ["Invalid argument:", `got ${JSON.stringify(argument)} at index ${i}`],
        options2 || {}
      );
    }
  }
  const parser = new Parser(options2);
  if (callback) {
    const records = options2 === void 0 || options2.objname === void 0 ? [] : /* @__PURE__ */ Object.create(null);
    parser.on("readable", function() {
      let record;
      while ((record = this.read()) !== null) {
        if (options2 === void 0 || options2.objname === void 0) {
          records.push(record);
        } else {
          Object.assign(records, {
            [record[0]]: record[1]
            // writable: true,
            // enumerable: true,
            // configurable: true
          });
        }
      }
    });
    parser.on("error", function(err) {
      callback(err, void 0, parser.api.__infoDataSet());
    });
    parser.on("end", function() {
      callback(void 0, records, parser.api.__infoDataSet());
    });
  }
  if (data !== void 0) {
    const writer = function() {
      parser.write(data);
      parser.end();
    };
    if (typeof setImmediate === "function") {
      setImmediate(writer);
    } else {
      setTimeout(writer, 0);
    }
  }
  return parser;
};

// src/audit/offline-verifier/verify-export.ts
var import_yauzl = __toESM(require_yauzl());

// src/audit/export/export-format.ts
var EXPORT_FORMAT = "threat-exchange-audit-export";
var EXPORT_VERSION = 1;
var EVENTS_JSONL = "events.jsonl";
var EVENTS_CSV = "events.csv";
var CHAIN_CSV = "chain.csv";
var MANIFEST = "manifest.json";
var MANIFEST_SIGNATURE = "manifest.sig";
var PUBLIC_KEY = "public-key.pem";
var DATA_FILES = [EVENTS_JSONL, EVENTS_CSV, CHAIN_CSV];
var UNLISTED_FILES = [MANIFEST, MANIFEST_SIGNATURE, PUBLIC_KEY];
var CHAIN_HEADER = "seq,digest,hash";
var CSV_LANGUAGES = ["vi", "en"];
var EVENT_CSV_COLUMNS = {
  vi: [
    "Số thứ tự",
    "Thời điểm (UTC)",
    "Loại tác nhân",
    "Mã tác nhân",
    "Tổ chức của tác nhân",
    "Vai trò",
    "Hành động",
    "Loại đối tượng",
    "Mã đối tượng",
    "Tóm tắt",
    "Mã yêu cầu HTTP",
    "Địa chỉ IP",
    "Mã băm chuỗi"
  ],
  en: [
    "Sequence",
    "Time (UTC)",
    "Actor type",
    "Actor ID",
    "Actor's organization",
    "Roles",
    "Action",
    "Object type",
    "Object ID",
    "Summary",
    "HTTP request ID",
    "IP address",
    "Chain hash"
  ]
};
function hashedFields(event) {
  return {
    at: event.at,
    actorType: event.actorType,
    actorId: event.actorId,
    organizationId: event.organizationId,
    roles: event.roles,
    action: event.action,
    objectType: event.objectType,
    objectId: event.objectId,
    summary: event.summary,
    requestId: event.requestId,
    clientIp: event.clientIp
  };
}
var EVENT_LINE_KEYS = [
  "seq",
  "hash",
  "at",
  "actorType",
  "actorId",
  "organizationId",
  "roles",
  "action",
  "objectType",
  "objectId",
  "summary",
  "requestId",
  "clientIp"
];
function eventCsvRow(event) {
  return [
    event.seq,
    event.at,
    event.actorType,
    event.actorId,
    event.organizationId,
    event.roles.join(", "),
    event.action,
    event.objectType,
    event.objectId,
    canonicalJson(event.summary),
    event.requestId,
    event.clientIp,
    event.hash
  ];
}

// node_modules/csv-stringify/lib/utils/get.js
var charCodeOfDot = ".".charCodeAt(0);
var rePropName = RegExp(
  // Match anything that isn't a dot or bracket.
  `[^.[\\]]+|\\[(?:([^"'][^[]*)|(["'])((?:(?!\\2)[^\\\\]|\\\\.)*?)\\2)\\]|(?=(?:\\.|\\[\\])(?:\\.|\\[\\]|$))`,
  "g"
);

// node_modules/csv-stringify/lib/api/index.js
var bom_utf8 = Buffer.from([239, 187, 191]);

// src/platform/csv/csv.ts
function inert(value) {
  return typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
function csvCellText(value) {
  if (value === null || value === void 0) return "";
  return String(inert(value));
}

// src/audit/offline-verifier/verify-export.ts
var VerificationFailure = class extends Error {
  constructor(check, message) {
    super(message);
    this.check = check;
    this.name = "VerificationFailure";
  }
  check;
};
var UsageError = class extends Error {
  name = "UsageError";
};
var HEX642 = /^[0-9a-f]{64}$/;
var SIGNATURE = /^[A-Za-z0-9_-]{86}$/;
var CHAIN_LINE = /^([1-9]\d{0,15}),([0-9a-f]{64}),([0-9a-f]{64})$/;
var ZERO_HASH = "0".repeat(64);
var MAX_MANIFEST_BYTES = 1 << 20;
function fail(check, message) {
  throw new VerificationFailure(check, message);
}
function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}
var OpenStreams = class {
  streams = [];
  add(stream) {
    this.streams.push(stream);
    return stream;
  }
  destroy() {
    for (const stream of this.streams) stream.destroy();
  }
};
async function folderSource(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  const streams = new OpenStreams();
  return {
    names: entries.map((e) => e.isDirectory() ? `${e.name}/` : e.name),
    open: async (name) => streams.add(createReadStream(path.join(dir, name))),
    close: async () => streams.destroy()
  };
}
async function zipSource(file) {
  const label = path.basename(file);
  let zip;
  const entries = /* @__PURE__ */ new Map();
  const names = [];
  try {
    zip = await import_yauzl.default.openPromise(file, {
      lazyEntries: true,
      autoClose: false,
      strictFileNames: true,
      validateEntrySizes: true
    });
    for await (const entry of zip.eachEntry()) {
      if (entries.has(entry.fileName)) {
        fail("archive", `${label} holds two entries named ${entry.fileName}`);
      }
      entries.set(entry.fileName, entry);
      names.push(entry.fileName);
    }
  } catch (error) {
    if (error instanceof VerificationFailure) throw error;
    fail(
      "archive",
      `${label} is not a readable ZIP archive (truncated or damaged): ${errorText(error)}`
    );
  }
  const streams = new OpenStreams();
  return {
    names,
    open: async (name) => {
      const entry = entries.get(name);
      if (entry === void 0) throw new Error(`no entry ${name}`);
      return streams.add(await zip.openReadStreamPromise(entry));
    },
    close: async () => {
      streams.destroy();
      zip.close();
    }
  };
}
async function openSource(location) {
  const info = await stat(location).catch(() => void 0);
  if (info === void 0) throw new UsageError(`${location}: no such file or folder`);
  return info.isDirectory() ? folderSource(location) : zipSource(location);
}
async function readSmall(source, name, limit) {
  const chunks = [];
  let size = 0;
  for await (const chunk of await source.open(name)) {
    size += chunk.length;
    if (size > limit) fail("manifest", `${name} is larger than ${limit} bytes: not an export's`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
async function* linesOf(source, name) {
  const lines = createInterface({ input: await source.open(name), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) yield { line: ++line, text };
}
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function isCheckpoint(value) {
  try {
    parseCheckpoint(value);
    return true;
  } catch {
    return false;
  }
}
function checkManifestShape(m) {
  const bad = (what) => fail("manifest", `manifest.json: ${what}`);
  if (typeof m.id !== "string" || typeof m.createdAt !== "string") bad("id or createdAt missing");
  if (!isObject(m.filters)) bad("filters missing");
  const csv = m.csv;
  if (!isObject(csv) || !CSV_LANGUAGES.includes(csv.language) || typeof csv.bom !== "boolean") {
    bad("csv must be {language: vi|en, bom: boolean}");
  }
  const range = m.range;
  if (!isObject(range) || !Number.isSafeInteger(range.firstSeq) || !Number.isSafeInteger(range.lastSeq) || typeof range.previousHash !== "string" || !HEX642.test(range.previousHash)) {
    bad("range must be {firstSeq, lastSeq, previousHash (64 hex digits)}");
  }
  if (!isCheckpoint(m.checkpoint)) bad("checkpoint is not a signed checkpoint");
  const files = m.files;
  if (!Array.isArray(files) || !files.every(
    (f) => isObject(f) && typeof f.name === "string" && typeof f.sha256 === "string" && HEX642.test(f.sha256) && Number.isSafeInteger(f.bytes) && Number.isSafeInteger(f.events)
  )) {
    bad("files must list {name, sha256, bytes, events}");
  }
  return m;
}
async function readManifest(source, publicKey) {
  if (!source.names.includes(MANIFEST)) {
    fail("manifest", `${MANIFEST} is missing: this is not an audit export`);
  }
  if (!source.names.includes(MANIFEST_SIGNATURE)) {
    fail("manifest-signature", `${MANIFEST_SIGNATURE} is missing: the manifest is not signed`);
  }
  let manifest;
  try {
    manifest = JSON.parse(await readSmall(source, MANIFEST, MAX_MANIFEST_BYTES));
  } catch (error) {
    if (error instanceof VerificationFailure) throw error;
    fail("manifest", `${MANIFEST} is not valid JSON: ${errorText(error)}`);
  }
  if (!isObject(manifest) || manifest.format !== EXPORT_FORMAT) {
    fail("manifest", `${MANIFEST} is not an audit export manifest (format ${EXPORT_FORMAT})`);
  }
  if (manifest.version !== EXPORT_VERSION) {
    fail(
      "manifest",
      `${MANIFEST} is of version ${String(manifest.version)}; this verifier reads version ${EXPORT_VERSION}`
    );
  }
  if (typeof manifest.keyId !== "string") fail("manifest", `${MANIFEST} names no keyId`);
  const given = auditKeyId(publicKey);
  if (manifest.keyId !== given) {
    fail(
      "key",
      `the export was signed with audit key ${manifest.keyId}, but the public key given is key ${given}: verify with the Department's audit public key of that id`
    );
  }
  const signature = (await readSmall(source, MANIFEST_SIGNATURE, 1024)).trim();
  if (!SIGNATURE.test(signature)) {
    fail(
      "manifest-signature",
      `${MANIFEST_SIGNATURE} is not an Ed25519 signature (86 base64url characters)`
    );
  }
  let valid;
  try {
    valid = documentSignatureValid(manifest, signature, publicKey);
  } catch {
    valid = false;
  }
  if (!valid) {
    fail(
      "manifest-signature",
      `the manifest signature does not verify with audit key ${given}: ${MANIFEST} was altered after it was signed, or ${MANIFEST_SIGNATURE} is not its signature`
    );
  }
  return checkManifestShape(manifest);
}
function checkCheckpoints(manifest, publicKey, independent) {
  const { checkpoint, range, keyId } = manifest;
  const described = (cp) => `${cp.size} events, signed at ${cp.time}`;
  if (checkpoint.keyId !== keyId) {
    fail(
      "checkpoint-signature",
      `the checkpoint (${described(checkpoint)}) names audit key ${checkpoint.keyId}, not the manifest's key ${keyId}`
    );
  }
  if (!checkpointSignatureValid(checkpoint, publicKey)) {
    fail(
      "checkpoint-signature",
      `the checkpoint in the manifest (${described(checkpoint)}) does not verify with audit key ${keyId}`
    );
  }
  if (range.lastSeq !== checkpoint.size) {
    fail(
      "manifest",
      `the manifest's range ends at event ${range.lastSeq} but its checkpoint covers ${checkpoint.size} events`
    );
  }
  if (range.firstSeq < 1 || range.firstSeq > range.lastSeq + 1) {
    fail(
      "manifest",
      `the manifest's range starts at event ${range.firstSeq}, outside 1–${range.lastSeq + 1}`
    );
  }
  if (range.firstSeq === 1 && range.previousHash !== ZERO_HASH) {
    fail("manifest", "the range starts at event 1 but its previousHash is not 64 zeros");
  }
  for (const cp of independent) {
    if (cp.keyId !== keyId || !checkpointSignatureValid(cp, publicKey)) {
      fail(
        "independent-checkpoint",
        `the checkpoint given with --checkpoint (${described(cp)}) does not verify with audit key ${keyId}`
      );
    }
    if (cp.size < range.firstSeq - 1) {
      fail(
        "independent-checkpoint",
        `the checkpoint given with --checkpoint (${described(cp)}) lies before this export's chain (events ${range.firstSeq}–${range.lastSeq}): it cannot be checked against it`
      );
    }
    if (cp.size > range.lastSeq && cp.time > checkpoint.time) {
      fail(
        "independent-checkpoint",
        `the checkpoint given with --checkpoint (${described(cp)}) is newer than this export's (${described(checkpoint)}): it cannot be checked against it; export again`
      );
    }
  }
}
async function checkFiles(source, manifest) {
  const listed = manifest.files.map((f) => f.name);
  for (const name of DATA_FILES) {
    if (listed.filter((n) => n === name).length !== 1) {
      fail("manifest", `the manifest must list ${name} once`);
    }
  }
  for (const name of listed) {
    if (!DATA_FILES.includes(name)) {
      fail("manifest", `the manifest lists ${name}, which is not a file of an audit export`);
    }
    if (!source.names.includes(name)) {
      fail("files", `${name} is listed in the manifest but missing from the export`);
    }
  }
  for (const name of source.names) {
    if (!listed.includes(name) && !UNLISTED_FILES.includes(name)) {
      fail("files", `the export holds ${name}, which the manifest does not list`);
    }
  }
  for (const file of manifest.files) {
    const hash = createHash2("sha256");
    let bytes = 0;
    for await (const chunk of await source.open(file.name)) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    if (bytes !== file.bytes) {
      fail(
        "files",
        `${file.name} has ${bytes} bytes where the manifest says ${file.bytes}: it was altered`
      );
    }
    if (hash.digest("hex") !== file.sha256) {
      fail("files", `${file.name} does not match its SHA-256 in the manifest: it was altered`);
    }
  }
}
async function* eventLines(source) {
  const where = (line) => `${EVENTS_JSONL} line ${line}`;
  for await (const { line, text } of linesOf(source, EVENTS_JSONL)) {
    let value;
    try {
      value = JSON.parse(text);
    } catch {
      fail("events", `${where(line)} is not JSON`);
    }
    if (!isObject(value) || Object.keys(value).sort().join() !== [...EVENT_LINE_KEYS].sort().join()) {
      fail(
        "events",
        `${where(line)} does not hold exactly an event (${EVENT_LINE_KEYS.join(", ")})`
      );
    }
    const { seq, hash } = value;
    if (!Number.isSafeInteger(seq) || seq < 1) {
      fail("events", `${where(line)}: seq is not a positive integer`);
    }
    if (typeof hash !== "string" || !HEX642.test(hash)) {
      fail("events", `${where(line)}: hash is not 64 lowercase hex digits`);
    }
    let canonical;
    try {
      canonical = canonicalJson(value);
    } catch {
      canonical = void 0;
    }
    if (canonical !== text) {
      fail("events", `${where(line)} (event ${String(seq)}) is not in canonical form (RFC 8785)`);
    }
    yield {
      line,
      seq,
      hash,
      fields: hashedFields(value)
    };
  }
}
async function walkChain(source, manifest, independent) {
  const { range, checkpoint } = manifest;
  const walk = new ChainWalk(Buffer.from(range.previousHash, "hex"), range.firstSeq);
  const wanted = new Set(independent.map((cp) => cp.size));
  const hashAt = /* @__PURE__ */ new Map();
  if (wanted.has(range.firstSeq - 1)) hashAt.set(range.firstSeq - 1, walk.head);
  const events = eventLines(source);
  let next = (await events.next()).value;
  let matched = 0;
  let chainEvents = 0;
  const chainFailure = (line, brk, event) => {
    if (brk.kind === "content" && event !== void 0) {
      fail("events", `${EVENTS_JSONL} line ${event.line}: ${brk.message}`);
    }
    fail("chain", `${CHAIN_CSV} line ${line}: ${brk.message}`);
  };
  let header = true;
  for await (const { line, text } of linesOf(source, CHAIN_CSV)) {
    if (header) {
      if (text !== CHAIN_HEADER) fail("chain", `${CHAIN_CSV} does not start with ${CHAIN_HEADER}`);
      header = false;
      continue;
    }
    const m = CHAIN_LINE.exec(text);
    if (m === null) fail("chain", `${CHAIN_CSV} line ${line} is not "seq,digest,hash"`);
    const seq = Number(m[1]);
    if (seq > range.lastSeq) {
      fail(
        "chain",
        `${CHAIN_CSV} line ${line}: event ${seq} lies beyond the checkpoint, which covers ${range.lastSeq} events`
      );
    }
    const hash = Buffer.from(m[3], "hex");
    const event = next?.seq === seq ? next : void 0;
    const brk = walk.event(seq, event?.fields, Buffer.from(m[2], "hex"), hash);
    if (brk !== void 0) chainFailure(line, brk, event);
    chainEvents += 1;
    if (wanted.has(seq)) hashAt.set(seq, hash);
    if (event !== void 0) {
      if (event.hash !== m[3]) {
        fail(
          "events",
          `${EVENTS_JSONL} line ${event.line}: the hash of event ${seq} differs from chain.csv's`
        );
      }
      matched += 1;
      next = (await events.next()).value;
      if (next !== void 0 && next.seq <= seq) {
        fail(
          "events",
          `${EVENTS_JSONL} line ${next.line}: event ${next.seq} comes after event ${seq} (repeated or out of order)`
        );
      }
    } else if (next !== void 0 && next.seq < seq) {
      fail(
        "events",
        `${EVENTS_JSONL} line ${next.line}: event ${next.seq} is not in chain.csv, which starts at event ${range.firstSeq}`
      );
    }
  }
  if (header) fail("chain", `${CHAIN_CSV} is empty: it does not start with ${CHAIN_HEADER}`);
  const end = walk.checkpoint(checkpoint, walk.size === checkpoint.size ? walk.head : void 0);
  if (end !== void 0) fail("checkpoint", `${CHAIN_CSV}: ${end.message}`);
  if (next !== void 0) {
    fail(
      "events",
      `${EVENTS_JSONL} line ${next.line}: event ${next.seq} is not in chain.csv (events ${range.firstSeq}–${range.lastSeq})`
    );
  }
  const listedEvents = manifest.files.find((f) => f.name === EVENTS_JSONL)?.events;
  if (listedEvents !== matched) {
    fail(
      "manifest",
      `the manifest counts ${String(listedEvents)} events in ${EVENTS_JSONL}, which holds ${matched}`
    );
  }
  for (const cp of independent) {
    const brk = walk.checkpoint(cp, hashAt.get(cp.size));
    if (brk !== void 0) fail("independent-checkpoint", `--checkpoint: ${brk.message}`);
  }
  return { events: matched, chainEvents, independentCheckpoints: independent.length };
}
var BOM = Buffer.from([239, 187, 191]);
async function checkCsv(source, manifest) {
  const { language, bom } = manifest.csv;
  const titles = EVENT_CSV_COLUMNS[language];
  const input = await source.open(EVENTS_CSV);
  let first;
  input.on("data", (chunk) => {
    first ??= chunk;
  });
  const rows = input.pipe(parse({ bom: true }));
  input.on("error", (error) => rows.destroy(error));
  const events = eventLines(source);
  let row = 0;
  try {
    for await (const record of rows) {
      row += 1;
      if (row === 1) {
        const hasBom = first !== void 0 && first.subarray(0, 3).equals(BOM);
        if (hasBom !== bom) {
          fail(
            "csv",
            bom ? `${EVENTS_CSV} lacks the byte order mark the manifest announces` : `${EVENTS_CSV} starts with a byte order mark the manifest does not announce`
          );
        }
        if (record.join("\0") !== titles.join("\0")) {
          fail("csv", `${EVENTS_CSV}'s header row is not the ${language} column titles`);
        }
        continue;
      }
      const next = (await events.next()).value;
      if (next === void 0) {
        fail("csv", `${EVENTS_CSV} row ${row} has no event in ${EVENTS_JSONL}`);
      }
      const expected = eventCsvRow({ ...next.fields, seq: next.seq, hash: next.hash }).map(
        csvCellText
      );
      const column = expected.findIndex((cell, i) => record[i] !== cell);
      if (column >= 0 || record.length !== expected.length) {
        const title = titles[column >= 0 ? column : expected.length] ?? `column ${column + 1}`;
        fail(
          "csv",
          `${EVENTS_CSV} row ${row} (event ${next.seq}) differs from ${EVENTS_JSONL} in column "${title}"`
        );
      }
    }
  } catch (error) {
    if (error instanceof VerificationFailure) throw error;
    fail("csv", `${EVENTS_CSV} is not valid CSV: ${errorText(error)}`);
  }
  if (row === 0) fail("csv", `${EVENTS_CSV} is empty: it has no header row`);
  const left = (await events.next()).value;
  if (left !== void 0) {
    fail("csv", `${EVENTS_CSV} lacks event ${left.seq} (${EVENTS_JSONL} line ${left.line})`);
  }
}
async function verifyExport(location, options2) {
  const source = await openSource(location);
  try {
    const manifest = await readManifest(source, options2.publicKey);
    const independent = options2.checkpoints ?? [];
    checkCheckpoints(manifest, options2.publicKey, independent);
    await checkFiles(source, manifest);
    const walked = await walkChain(source, manifest, independent);
    await checkCsv(source, manifest);
    const { size, head, time } = manifest.checkpoint;
    return {
      id: manifest.id,
      createdAt: manifest.createdAt,
      filters: manifest.filters,
      keyId: manifest.keyId,
      range: manifest.range,
      checkpoint: { size, head, time },
      ...walked
    };
  } catch (error) {
    if (error instanceof VerificationFailure || error instanceof UsageError) throw error;
    throw new VerificationFailure("archive", `the export cannot be read: ${errorText(error)}`);
  } finally {
    await source.close();
  }
}

// src/audit/offline-verifier/cli.ts
function usage(program) {
  const indent = " ".repeat(program.length + 8);
  return `usage: ${program} <export.zip | folder> --public-key <file.pem | PEM>
${indent}[--checkpoint <X-Audit-Checkpoint value | file>]... [--json]

Verifies an audit export offline: the manifest's signature (with the Department's audit public
key, obtained on its own, never the copy inside the export), the files' SHA-256, the hash chain
from the range's first event to the signed checkpoint, every exported event against its digest,
and the CSV against the JSON lines. --checkpoint adds checkpoints held independently (the
X-Audit-Checkpoint header of feed responses, or a file holding one): the chain must pass
through them. --json prints the result as JSON on stdout.

Exit status: 0 verified; 1 the export does not verify (the reason on stderr); 2 usage error.`;
}
var USAGE = usage("threat-exchange audit-verify");
var processIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text)
};
async function readArgument(value, what) {
  const info = await stat2(value).catch(() => void 0);
  if (info === void 0) {
    throw new UsageError(`${what}: ${value} is neither a file nor a ${what} value`);
  }
  return readFile(value, "utf8");
}
async function loadPublicKey(value) {
  const pem = value.includes("-----BEGIN") ? value : await readArgument(value, "--public-key");
  let key;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new UsageError("--public-key: not a PEM public key");
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new UsageError(
      `--public-key: an ${String(key.asymmetricKeyType)} key, not the Ed25519 audit key`
    );
  }
  return key;
}
async function loadCheckpoint(value) {
  const isFile = (await stat2(value).catch(() => void 0))?.isFile() ?? false;
  const text = (isFile ? await readFile(value, "utf8") : value).trim();
  try {
    return text.startsWith("{") ? parseCheckpoint(JSON.parse(text)) : decodeCheckpointHeader(text);
  } catch {
    throw new UsageError(
      "--checkpoint: not a signed checkpoint (an X-Audit-Checkpoint value or its JSON)"
    );
  }
}
function describeFilters(filters) {
  if (filters.all) return "the whole trail";
  const parts = [
    filters.from ? `from ${filters.from}` : "",
    filters.to ? `before ${filters.to}` : "",
    filters.organizationId ? `organization ${filters.organizationId}` : "",
    filters.blockingRequestId ? `blocking request ${filters.blockingRequestId}` : ""
  ];
  return parts.filter(Boolean).join(", ");
}
function report(location, v) {
  const { range, checkpoint } = v;
  const chain = v.chainEvents === 0 ? "no events after the selection" : `events ${range.firstSeq}–${range.lastSeq} (${v.chainEvents}), linked`;
  return [
    `audit export verified: ${location}`,
    `  export       ${v.id}, made ${v.createdAt}`,
    `  filters      ${describeFilters(v.filters)}`,
    `  events       ${v.events} exported with their content, each matching its digest`,
    `  chain        ${chain}`,
    `  checkpoint   ${checkpoint.size} events, head ${checkpoint.head}, signed ${checkpoint.time}`,
    ...v.independentCheckpoints > 0 ? [`  also through ${v.independentCheckpoints} checkpoint(s) given with --checkpoint`] : [],
    `  key          ${v.keyId}`,
    ""
  ].join("\n");
}
async function auditVerify(args, io = processIo, program = "threat-exchange audit-verify") {
  const help = usage(program);
  let parsed;
  try {
    parsed = parseOptions(args);
  } catch (error) {
    io.stderr(`${error.message}

${help}
`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${help}
`);
    return 0;
  }
  if (positionals.length !== 1 || values["public-key"] === void 0) {
    io.stderr(
      `${positionals.length !== 1 ? "name one export (a .zip or a folder)" : "--public-key is required"}

${help}
`
    );
    return 2;
  }
  const location = positionals[0];
  try {
    const publicKey = await loadPublicKey(values["public-key"]);
    const checkpoints = await Promise.all((values.checkpoint ?? []).map(loadCheckpoint));
    const verified = await verifyExport(location, { publicKey, checkpoints });
    io.stdout(
      values.json ? `${JSON.stringify({ ok: true, ...verified })}
` : report(location, verified)
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}
`);
      return 2;
    }
    if (error instanceof VerificationFailure) {
      if (values.json) {
        io.stdout(`${JSON.stringify({ ok: false, check: error.check, error: error.message })}
`);
      }
      io.stderr(`audit export NOT verified: ${error.message}
`);
      return 1;
    }
    throw error;
  }
}
var VALUED = /* @__PURE__ */ new Set(["--public-key", "--checkpoint"]);
function parseOptions(args) {
  const joined = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (VALUED.has(arg) && i + 1 < args.length) joined.push(`${arg}=${args[++i]}`);
    else joined.push(arg);
  }
  return parseArgs({
    args: joined,
    allowPositionals: true,
    strict: true,
    options: {
      "public-key": { type: "string" },
      checkpoint: { type: "string", multiple: true },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" }
    }
  });
}

// src/audit/offline-verifier/standalone.ts
process.exitCode = await auditVerify(
  process.argv.slice(2),
  void 0,
  "node threat-exchange-verify.mjs"
);
