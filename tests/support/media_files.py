"""Files a student might send, made here: a phone photo with GPS coordinates and the
phone's name in its EXIF, a PNG with text chunks, a PDF naming its author."""

from __future__ import annotations

import io

from PIL import ExifTags, Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, NumberObject, StreamObject

AUTHOR = "Fatima Jansen"
PHONE = "StudentPhone 12"
COMMENT = b"thuis-wifi"
XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:creator>" + AUTHOR.encode() + b"</dc:creator></rdf:Description></rdf:RDF>"
    b'</x:xmpmeta><?xpacket end="w"?>'
)
# Den Haag Centraal, more or less.
LATITUDE = (52.0, 4.0, 49.0)
LONGITUDE = (4.0, 19.0, 2.0)


def gps_photo(orientation: int = 6) -> bytes:
    """A 40×20 JPEG whose EXIF says where (GPS), on what phone and which way up."""
    image = Image.new("RGB", (40, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = PHONE
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: LATITUDE,
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: LONGITUDE,
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=COMMENT)
    return out.getvalue()


def gps_of(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(ExifTags.IFD.GPSInfo))


def png_with_text() -> bytes:
    image = Image.new("RGBA", (8, 8), (0, 0, 255, 128))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", AUTHOR)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def authored_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata(
        {"/Author": AUTHOR, "/Creator": f"Word ({AUTHOR})", "/Producer": "Office 365 " + AUTHOR}
    )
    writer.xmp_metadata = XMP
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_photo() -> bytes:
    """A photo "scanned to PDF": the phone's JPEG, EXIF and GPS included, as the page's
    image (DCTDecode keeps the JPEG's bytes as they were)."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=40, height=20)
    image = StreamObject()
    image.set_data(gps_photo(orientation=1))
    image.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Image"),
            NameObject("/Width"): NumberObject(40),
            NameObject("/Height"): NumberObject(20),
            NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
            NameObject("/BitsPerComponent"): NumberObject(8),
            NameObject("/Filter"): NameObject("/DCTDecode"),
        }
    )
    xobjects = DictionaryObject({NameObject("/Im0"): writer._add_object(image)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})
    content = StreamObject()
    content.set_data(b"q 40 0 0 20 0 0 cm /Im0 Do Q")
    page[NameObject("/Contents")] = writer._add_object(content)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
